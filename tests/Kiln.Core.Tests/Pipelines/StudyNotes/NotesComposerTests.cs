using Kiln.Core.Notes;
using Kiln.Core.Pipelines.StudyNotes;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Pipelines.StudyNotes;

public sealed class NotesComposerTests(ITestOutputHelper output)
{
    private static List<Passage> Captions()
    {
        var times = Lecture.SectionTimes();
        var passages = new List<Passage>();
        var t = 0.5;
        for (var s = 0; s < Lecture.Sections.Length; s++)
        {
            t = times[s].Start;
            for (var i = 0; i < Lecture.Sections[s].Length; i++)
            {
                var text = Lecture.Sections[s][i];
                var end = t + Math.Round(text.Split(' ').Length / 2.6, 2);
                passages.Add(new Passage(text, t, end, Break: s > 0 && i == 0));
                t = end + Lecture.SentenceGap;
            }
        }
        return passages;
    }

    private static StudyNote Compose(IReadOnlyList<string>? course = null) =>
        NotesComposer.Compose("Photosynthesis", Captions(), new NotesComposer.Settings("standard", 6, "Biology", course ?? []), new NoteSource("subtitles", "photosynthesis.srt"));

    [Fact]
    public void Key_concepts_are_the_lectures_terms_not_filler()
    {
        var note = Compose();
        output.WriteLine(note.ToMarkdown());
        var terms = note.Concepts.Select(c => c.Term.ToLowerInvariant()).ToList();
        terms.ShouldContain("calvin cycle");
        terms.ShouldContain("light reactions");
        terms.ShouldContain("chlorophyll");
        terms.ShouldNotContain("energy of sunlight");
        terms.ShouldAllBe(t => !TermExtractor.Stop.Contains(t));
        note.Concepts.Single(c => c.Term == "chlorophyll").Definition.ShouldStartWith("Chlorophyll is the green pigment");
    }

    [Fact]
    public void Sections_start_at_the_pauses_and_carry_their_times()
    {
        var note = Compose();
        var times = Lecture.SectionTimes();
        note.Outline.Count.ShouldBe(3);
        for (var i = 0; i < 3; i++)
        {
            note.Outline[i].Start!.Value.ShouldBe(times[i].Start, 0.01);
            note.Outline[i].Points.ShouldAllBe(p => p.Time >= times[i].Start && p.Time <= times[i].End);
        }
        note.Outline[2].Title.ShouldContain("Calvin cycle", Case.Insensitive);
        note.Outline[1].Title.ShouldContain("light reactions", Case.Insensitive);
    }

    [Fact]
    public void The_quiz_covers_every_section_with_answers_from_the_lecture()
    {
        var note = Compose(["mitochondria", "cell membrane", "glucose"]);
        var transcript = string.Join(' ', Lecture.Sections.SelectMany(s => s));
        note.Quiz.Count.ShouldBeGreaterThanOrEqualTo(6);
        note.Quiz.Select(q => q.Section).Distinct().Count().ShouldBe(3);
        foreach (var q in note.Quiz)
        {
            output.WriteLine($"{q.Kind}: {q.Prompt} [{string.Join(" / ", q.Choices)}] → {q.Answer}");
            transcript.ShouldContain(q.Answer.TrimEnd('.'), Case.Insensitive);
            if (q.Kind == QuizQuestion.MultipleChoice)
            {
                q.Choices.Count.ShouldBeGreaterThanOrEqualTo(3);
                q.Choices.ShouldContain(q.Answer);
                q.Choices.Distinct(StringComparer.OrdinalIgnoreCase).Count().ShouldBe(q.Choices.Count);
                q.Prompt.ShouldContain("_____");
                q.Prompt.ShouldNotContain(q.Answer, Case.Insensitive);
            }
        }
    }

    [Fact]
    public void Related_notes_need_shared_terms_above_the_threshold()
    {
        var earlier = new[]
        {
            new NoteLinker.Candidate(Guid.NewGuid(), "Cell energy", ["atp", "chloroplast", "mitochondria"]),
            new NoteLinker.Candidate(Guid.NewGuid(), "French revolution", ["revolution", "king", "oxygen"]),
        };
        var related = NoteLinker.Related(["photosynthesis", "chloroplast", "atp", "oxygen", "calvin cycle"], earlier);
        related.Select(r => r.LinkName).ShouldBe(["Cell energy"]);
        related[0].SharedTerms.ShouldBe(["chloroplast", "atp"], ignoreOrder: true);
    }

    [Fact]
    public void Markdown_renders_without_raw_html_or_script_links()
    {
        var html = NoteMarkdown.ToHtml("<script>alert(1)</script> [x](javascript:alert(1)) [[Cell energy]] [[Missing]] [0:05](#t=5)", n => n == "Cell energy" ? "/notes/1" : null);
        html.ShouldNotContain("<script>");
        html.ShouldNotContain("javascript:");
        html.ShouldContain("href=\"/notes/1\"");
        html.ShouldContain("<em>Missing</em>");
        html.ShouldContain("href=\"#t=5\"");
    }
}

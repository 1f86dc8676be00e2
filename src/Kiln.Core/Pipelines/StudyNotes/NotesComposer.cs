using System.Globalization;
using System.Text.RegularExpressions;
using Kiln.Core.Ai;
using Kiln.Core.Notes;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>
/// The offline notes engine: from passages (transcript segments or document paragraphs) to a <see cref="StudyNote"/> with
/// no model. Sections start at long pauses and headings, and long stretches are cut where the vocabulary shifts; TextRank
/// picks the summary, points and quotes; <see cref="TermExtractor"/> finds the key terms; the quiz clozes the terms out of
/// the sentences that define or use them, with other real terms of the note and the course as distractors. Pure and
/// deterministic.
/// </summary>
public static partial class NotesComposer
{
    public sealed record Settings(string Depth, int QuizSize, string? Subject, IReadOnlyList<string> CourseTerms);

    private sealed record Sentence(int Index, string Text, double? Time, int? Page, int Section, string? Heading = null);

    private static (int Concepts, int Points, int SummarySentences, int SectionWords) Budget(string depth) => depth switch
    {
        StudyNotesOptions.Brief => (5, 2, 2, 450),
        StudyNotesOptions.Detailed => (12, 5, 5, 180),
        _ => (8, 3, 3, 280),
    };

    public static StudyNote Compose(string title, IReadOnlyList<Passage> passages, Settings settings, NoteSource? source)
    {
        var budget = Budget(settings.Depth);
        var sentences = Split(passages);
        if (sentences.Count == 0) throw new PipelineException("no_text", "The source has no text to make notes from.");
        var sections = Sectionize(sentences, budget.SectionWords);
        sentences = sections.SelectMany((s, i) => s.Select(x => x with { Section = i })).ToList();

        var rank = TextRank.Rank(sentences.Select(s => s.Text).ToList());
        var terms = TermExtractor.Extract(sentences.Select(s => s.Text), Math.Max(budget.Concepts * 2, 16));
        var keyTerms = terms.Take(budget.Concepts).ToList();

        var concepts = keyTerms.Select(t => Concept(t, sentences, rank, terms)).ToList();
        var outline = sections.Select((section, i) => Section(i, section, keyTerms, rank, budget.Points, sections.Count)).ToList();
        // The summary covers the lecture: the most central sentence of each section, the most central sections first.
        var summaryIdx = sections.Select(section => section.Where(s => Words(s.Text) >= 6).OrderByDescending(s => rank[s.Index]).ThenBy(s => s.Index).FirstOrDefault())
            .Where(s => s is not null).OrderByDescending(s => rank[s!.Index]).Take(Math.Max(budget.SummarySentences, Math.Min(sections.Count, 6)))
            .Select(s => s!.Index).Order().ToList();
        var summary = string.Join(' ', summaryIdx.Select(i => sentences[i].Text));
        var quotes = TopIndexes(sentences, rank, Math.Min(3, Math.Max(1, sentences.Count / 8)),
                s => Words(s.Text) is >= 8 and <= 45 && !summaryIdx.Contains(s.Index))
            .Select(i => new NoteQuote(sentences[i].Text, sentences[i].Time, sentences[i].Page)).ToList();
        var glossary = terms
            .Select(t => (t, body: sentences.Select(s => TermExtractor.DefinitionBody(s.Text, t.Key)).FirstOrDefault(b => b is not null)))
            .Where(x => x.body is not null)
            .Select(x => new GlossaryEntry(x.t.Display, x.body!))
            .OrderBy(g => g.Term, StringComparer.OrdinalIgnoreCase).ToList();
        var quiz = QuizMaker.Make(sentences.Select(s => new QuizMaker.Line(s.Text, s.Time, s.Page, s.Section)).ToList(), rank, terms,
            settings.CourseTerms, Math.Max(settings.QuizSize, sections.Count), sections.Count);

        return new StudyNote
        {
            Title = title,
            Subject = settings.Subject,
            Summary = summary,
            Concepts = concepts,
            Outline = outline,
            Quotes = quotes,
            Glossary = glossary,
            OpenQuestions = OpenQuestions(sentences, keyTerms, sections.Count),
            Quiz = quiz,
            KeyTerms = terms.Take(Math.Max(budget.Concepts, 12)).Select(t => t.Key).ToList(),
            Source = source,
            Engine = "extractive",
        };
    }

    private static KeyConcept Concept(Term term, List<Sentence> sentences, double[] rank, IReadOnlyList<Term> terms)
    {
        // A mention of "light" inside "light reactions" is not about light: skip sentences where a longer term covers it.
        var mentions = sentences.Where(s => MentionsOnItsOwn(s.Text, term, terms)).ToList();
        if (mentions.Count == 0) mentions = sentences.Where(s => TermExtractor.Mentions(s.Text, term.Key)).ToList();
        var definition = mentions.FirstOrDefault(s => TermExtractor.DefinitionBody(s.Text, term.Key) is not null)
            ?? mentions.Take(2).OrderByDescending(s => rank[s.Index]).ThenBy(s => s.Index).FirstOrDefault();
        return new KeyConcept(term.Display, definition?.Text ?? "", definition?.Time, definition?.Page);
    }

    /// <summary>Whether the sentence uses the term other than as part of a longer key term it also contains.</summary>
    internal static bool MentionsOnItsOwn(string sentence, Term term, IReadOnlyList<Term> terms)
    {
        if (!TermExtractor.Mentions(sentence, term.Key)) return false;
        var text = " " + string.Join(' ', TermExtractor.Words(sentence).Select(w => w.ToLowerInvariant())) + " ";
        foreach (var longer in terms.Where(t => t.Words > term.Words && TermExtractor.Contains(t.Key, term.Key)))
            text = text.Replace(" " + longer.Key + " ", " # ", StringComparison.Ordinal);
        return text.Contains(" " + term.Key + " ", StringComparison.Ordinal);
    }

    private static OutlineSection Section(int index, List<Sentence> section, IReadOnlyList<Term> terms, double[] rank, int points, int sectionCount)
    {
        // The section's own terms: used in it more than their share of the whole text.
        var own = terms.Select(t => (t, n: section.Count(s => MentionsOnItsOwn(s.Text, t, terms))))
            .Where(x => x.n > 0)
            .OrderByDescending(x => x.n / (double)Math.Max(1, x.t.Count)).ThenByDescending(x => x.n).ThenBy(x => x.t.Key, StringComparer.Ordinal)
            .Take(2).Select(x => x.t.Display).ToList();
        var title = section[0].Heading ?? (own.Count switch
        {
            0 => $"Part {index + 1}",
            1 => Capitalize(own[0]),
            _ => $"{Capitalize(own[0])} and {own[1]}",
        });
        var picked = section.OrderByDescending(s => rank[s.Index]).ThenBy(s => s.Index).Where(s => Words(s.Text) >= 4).Take(points).OrderBy(s => s.Index)
            .Select(s => new OutlinePoint(s.Text, s.Time, s.Page)).ToList();
        if (picked.Count == 0) picked = [new OutlinePoint(section[0].Text, section[0].Time, section[0].Page)];
        return new OutlineSection(title, section[0].Time, section[^1].Time is { } t ? Math.Max(t, section[0].Time ?? t) : null, section[0].Page, picked);
    }

    private static List<string> OpenQuestions(List<Sentence> sentences, List<Term> terms, int sections)
    {
        var asked = sentences.Where(s => s.Text.EndsWith('?') && Words(s.Text) >= 5).Select(s => s.Text).Distinct().Take(4).ToList();
        for (var i = 0; asked.Count < 2 && i + 1 < terms.Count; i++)
            asked.Add($"How does {terms[i].Display} relate to {terms[i + 1].Display}?");
        return asked;
    }

    private static List<int> TopIndexes(List<Sentence> sentences, double[] rank, int count, Func<Sentence, bool> usable) =>
        sentences.Where(usable).OrderByDescending(s => rank[s.Index]).ThenBy(s => s.Index).Take(count).Select(s => s.Index).Order().ToList();

    private static List<Sentence> Split(IReadOnlyList<Passage> passages)
    {
        var list = new List<Sentence>();
        string? pendingHeading = null;
        foreach (var p in passages)
        {
            if (p.Heading is { Length: > 0 } heading) pendingHeading = heading;
            var parts = TextRank.SplitSentences(p.Text);
            for (var i = 0; i < parts.Count; i++)
            {
                var text = Tidy(parts[i]);
                if (text.Count(char.IsLetter) < 3) continue;
                // Sentences of one caption cue share its start time; later sentences of a long cue get a share of its length.
                double? time = p.Start is { } s && p.End is { } e && parts.Count > 1 ? s + (e - s) * i / parts.Count : p.Start;
                list.Add(new Sentence(list.Count, text, time, p.Page, (p.Break || pendingHeading is not null) && i == 0 ? -1 : 0, i == 0 ? pendingHeading : null));
                if (i == 0) pendingHeading = null;
            }
        }
        return list;
    }

    /// <summary>Sections at the source's breaks; a section far longer than the budget is cut where the vocabulary shifts most.</summary>
    private static List<List<Sentence>> Sectionize(List<Sentence> sentences, int budgetWords)
    {
        var sections = new List<List<Sentence>>();
        foreach (var s in sentences)
        {
            if (s.Section == -1 || sections.Count == 0) sections.Add([]);
            sections[^1].Add(s with { Section = 0 });
        }
        // Tiny sections (a stray utterance after a pause) join the one before.
        for (var i = sections.Count - 1; i > 0; i--)
            if (sections[i].Sum(x => Words(x.Text)) < 12 && sections[i][0].Heading is null)
            {
                sections[i - 1].AddRange(sections[i]);
                sections.RemoveAt(i);
            }
        var result = new List<List<Sentence>>();
        foreach (var section in sections) result.AddRange(CutByTopic(section, budgetWords));
        return result;
    }

    private static IEnumerable<List<Sentence>> CutByTopic(List<Sentence> section, int budgetWords)
    {
        var words = section.Sum(s => Words(s.Text));
        if (words <= budgetWords * 2 || section.Count < 6) { yield return section; yield break; }
        // The cut with the least shared vocabulary between the three sentences before and after it, away from the edges.
        var best = -1;
        var bestScore = double.MaxValue;
        for (var i = 3; i <= section.Count - 3; i++)
        {
            var before = TextRank.Tokens(string.Join(' ', section.Skip(i - 3).Take(3).Select(s => s.Text)));
            var after = TextRank.Tokens(string.Join(' ', section.Skip(i).Take(3).Select(s => s.Text)));
            var overlap = before.Count == 0 || after.Count == 0 ? 0 : before.Count(after.Contains) / Math.Sqrt(before.Count * after.Count);
            if (overlap < bestScore) (best, bestScore) = (i, overlap);
        }
        if (best < 0) { yield return section; yield break; }
        foreach (var part in CutByTopic(section[..best], budgetWords)) yield return part;
        foreach (var part in CutByTopic(section[best..], budgetWords)) yield return part;
    }

    /// <summary>Speech-to-text output has no capitals or full stops: give each sentence both.</summary>
    private static string Tidy(string text)
    {
        text = Spaces().Replace(text, " ").Trim();
        if (text.Length == 0) return text;
        text = char.ToUpperInvariant(text[0]) + text[1..];
        return ".!?\"”)".Contains(text[^1], StringComparison.Ordinal) ? text : text + ".";
    }

    internal static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpper(s[0], CultureInfo.InvariantCulture) + s[1..];

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

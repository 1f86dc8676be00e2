using Kiln.Core.Pipelines.PdfPodcast;

namespace Kiln.Core.Tests.Pipelines.PdfPodcast;

public sealed class ScriptWriterTests
{
    [Fact]
    public void Parses_speaker_lines_with_markdown_and_continuations()
    {
        var turns = ScriptWriter.Parse("Sure! Here is the script:\n\n**Ada:** First point.\nstill Ada.\n\n__ben__: Second: with a colon.\nBen: Third.", "Ada", "Ben");
        turns.ShouldBe([
            new ScriptTurn("Ada", "First point. still Ada."),
            new ScriptTurn("Ben", "Second: with a colon."),
            new ScriptTurn("Ben", "Third."),
        ]);
    }

    [Fact]
    public void Falls_back_to_alternating_paragraphs_when_no_speaker_is_recognized()
    {
        ScriptWriter.Parse("One paragraph\nwrapped.\n\nAnother one.", "Ada", "Ben")
            .ShouldBe([new ScriptTurn("Ada", "One paragraph wrapped."), new ScriptTurn("Ben", "Another one.")]);
    }

    [Theory]
    [InlineData("2.1 Methods", "Methods")]
    [InlineData("Chapter 3: Firing", "Firing")]
    [InlineData("IV. Results", "Results")]
    [InlineData("1990 Revisited", "1990 Revisited")]
    [InlineData("Overview", "Overview")]
    public void Spoken_titles_drop_section_numbers(string title, string spoken) => ScriptWriter.SpokenTitle(title).ShouldBe(spoken);

    [Fact]
    public void Markdown_escapes_pdf_text_and_json_round_trips()
    {
        var script = new PodcastScript("A *bold* title", "pdf-podcast", "1.0.0", ["Ada", "Ben"],
            [new ScriptChapter(1, "Intro", new PageSpan(1, 1), [new ScriptTurn("Ada", "Use <b> and [links](x) and # signs.")]),
             new ScriptChapter(2, "Next", null, [new ScriptTurn("Ben", "Bye.")])]);
        var md = script.ToMarkdown();
        md.ShouldContain("## 1. Intro (page 1)");
        md.ShouldContain("**Ada:** Use \\<b\\> and \\[links\\](x) and \\# signs.");
        md.ShouldContain("## 2. Next\n");
        var json = script.ToJson();
        json.ShouldContain("\"speaker\": \"Ada\"");
        json.ShouldNotContain("\"pages\": null");
        PodcastScript.FromJson(json)!.Chapters[0].Pages.ShouldBe(new PageSpan(1, 1));
    }
}

using Kiln.Core.Pipelines.Text;
using Kiln.Core.Media;

namespace Kiln.Core.Tests.Pipelines.Text;

public sealed class ChapterSplitterTests
{
    private const string Body = "This paragraph is long enough to count as body text for the heading above it, so it is prose.";

    private static List<TextLine> Lines(params (int Page, string Text)[] lines) => lines.Select(l => new TextLine(l.Page, l.Text)).ToList();

    [Fact]
    public void Uses_the_outline_when_it_has_entries_in_the_selection()
    {
        var lines = Lines((1, "Preface text on page one."), (2, "Text on page two."), (3, "Text on page three."), (4, "Text on page four."));
        var outline = new[]
        {
            new PdfOutlineEntry("Beginnings", 1, 0), new PdfOutlineEntry("A subsection", 2, 1),
            new PdfOutlineEntry("Middles", 3, 0), new PdfOutlineEntry("Elsewhere", 9, 0),
        };
        var chapters = ChapterSplitter.Split(lines, outline, 10);
        chapters.Select(c => (c.Index, c.Title, c.FirstPage, c.LastPage)).ShouldBe([(1, "Beginnings", 1, 2), (2, "Middles", 3, 4)]);
        chapters[1].Text.ShouldBe("Text on page three. Text on page four.");
    }

    [Fact]
    public void Falls_back_to_numbered_headings_preferring_top_level_ones()
    {
        var lines = Lines((1, "1 Introduction"), (1, Body), (1, ""), (1, "1.1 Background"), (1, Body), (1, ""),
            (2, "2. Methods and Data"), (2, Body), (2, ""), (3, "3 Results"), (3, Body));
        var chapters = ChapterSplitter.Split(lines, [], 10);
        chapters.Select(c => c.Title).ShouldBe(["Introduction", "Methods and Data", "Results"]);
        chapters[0].Text.ShouldContain("1.1 Background");
        chapters[2].FirstPage.ShouldBe(3);
    }

    [Fact]
    public void Detects_title_case_and_keyword_headings()
    {
        var lines = Lines((1, "A Short History of Kilns"), (1, Body), (1, ""), (1, "Chapter 2: Firing"), (1, Body), (1, ""), (2, "The Role of the Glaze"), (2, Body));
        ChapterSplitter.Split(lines, [], 10).Select(c => c.Title).ShouldBe(["A Short History of Kilns", "Firing", "The Role of the Glaze"]);
    }

    [Theory]
    [InlineData("This is an ordinary sentence.", true, false)]
    [InlineData("Results and Discussion", true, true)]
    [InlineData("Results and Discussion", false, false)]
    [InlineData("2.3 Sampling Strategy", false, true)]
    [InlineData("CHAPTER IV", true, true)]
    [InlineData("section 4.9.", true, false)]
    [InlineData("BZ_PARAM_ERROR", true, false)]
    [InlineData("IDLE/any", true, false)]
    [InlineData("RECOVERING DATA FROM DAMAGED FILES", true, true)]
    [InlineData("1990 was a good year", true, false)]
    public void Recognizes_heading_like_lines(string line, bool afterBreak, bool expected) =>
        ChapterSplitter.IsHeading(line, afterBreak).ShouldBe(expected);

    [Fact]
    public void Splits_unstructured_text_into_chunks_at_paragraph_breaks()
    {
        var paragraph = string.Concat(Enumerable.Repeat("plain words without any structure at all ", 40));
        var lines = Enumerable.Range(0, 12).SelectMany(i => new[] { new TextLine(i + 1, paragraph), new TextLine(i + 1, "") }).ToList();
        var chapters = ChapterSplitter.Split(lines, [], 50);
        chapters.Count.ShouldBeGreaterThan(1);
        chapters.ShouldAllBe(c => c.Title.StartsWith("Part ", StringComparison.Ordinal));
        string.Join("", chapters.Select(c => c.Text)).Replace("\n\n", " ", StringComparison.Ordinal).Length
            .ShouldBeGreaterThanOrEqualTo(paragraph.Trim().Length * 12);
    }

    [Fact]
    public void Merges_neighbours_to_respect_max_chapters()
    {
        var lines = Enumerable.Range(1, 6).SelectMany(i => new[] { new TextLine(i, $"Section Number {ToWord(i)}"), new TextLine(i, Body), new TextLine(i, "") }).ToList();
        var chapters = ChapterSplitter.Split(lines, [], 3);
        chapters.Select(c => c.Title).ShouldBe(["Section Number One", "Section Number Three", "Section Number Five"]);
        chapters.Select(c => c.Index).ShouldBe([1, 2, 3]);
        chapters[0].Text.ShouldContain("Section Number Two");
    }

    [Fact]
    public void Returns_nothing_for_empty_text() => ChapterSplitter.Split(Lines((1, "")), [], 5).ShouldBeEmpty();

    private static string ToWord(int i) => new[] { "", "One", "Two", "Three", "Four", "Five", "Six" }[i];
}

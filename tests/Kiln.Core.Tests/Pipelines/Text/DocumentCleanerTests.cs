using Kiln.Core.Pipelines.Text;
namespace Kiln.Core.Tests.Pipelines.Text;

public sealed class DocumentCleanerTests
{
    private static string Prose(params string[] pages) => DocumentCleaner.ToProse(DocumentCleaner.Clean(pages).Lines);

    [Fact]
    public void Joins_words_hyphenated_across_lines()
    {
        Prose("The experi-\nment was a success and the re-\nsults were clear.")
            .ShouldBe("The experiment was a success and the results were clear.");
    }

    [Fact]
    public void Keeps_real_hyphens_and_dashes()
    {
        Prose("A well-known result -\nNot a split word. Self-\nAware stays.").ShouldBe("A well-known result - Not a split word. Self- Aware stays.");
    }

    [Fact]
    public void Joins_words_hyphenated_across_a_page_break_with_a_footer_in_between()
    {
        var pages = new[]
        {
            "Running Header\nFirst page body text that ends with a hyphen-\n1",
            "Running Header\nated word and continues here.\n2",
            "Running Header\nThird page text.\n3",
        };
        Prose(pages).ShouldBe("First page body text that ends with a hyphenated word and continues here.\n\nThird page text.");
    }

    [Fact]
    public void Removes_running_headers_and_footers_even_when_they_contain_page_numbers()
    {
        var pages = Enumerable.Range(1, 4)
            .Select(i => $"Journal of Tests, Vol. 3\nBody of page {i} with its own text.\n\nSmith et al. - page {i} of 4")
            .ToArray();
        var prose = Prose(pages);
        prose.ShouldNotContain("Journal of Tests");
        prose.ShouldNotContain("Smith et al.");
        for (var i = 1; i <= 4; i++) prose.ShouldContain($"Body of page {i} with its own text.");
    }

    [Fact]
    public void A_line_on_one_page_only_is_content_not_a_header()
    {
        Prose("Introduction\nText one.", "Methods\nText two.", "Results\nText three.").ShouldContain("Introduction");
    }

    [Theory]
    [InlineData("12")]
    [InlineData("- 12 -")]
    [InlineData("Page 3")]
    [InlineData("page 3 of 10")]
    [InlineData("3 / 10")]
    [InlineData("xiv")]
    public void Removes_page_number_lines(string pageNumber)
    {
        Prose($"Some body text.\n{pageNumber}").ShouldBe("Some body text.");
        DocumentCleaner.IsPageNumber(pageNumber).ShouldBeTrue();
    }

    [Fact]
    public void Keeps_numbers_inside_the_page_body()
    {
        Prose("Top line here.\nSecond line.\nThird line.\n42\nFourth line.\nFifth line.\nSixth line.\nLast line.").ShouldContain("42");
    }

    [Fact]
    public void Normalizes_whitespace_and_paragraphs()
    {
        Prose("  Lots   of\tspace  \n\n\n\nNew    paragraph\u00ADs here. \uFB01ne").ShouldBe("Lots of space\n\nNew paragraphs here. fine");
    }

    [Fact]
    public void Tracks_the_page_of_each_line()
    {
        var lines = DocumentCleaner.Clean(["alpha", "beta"], firstPage: 7).Lines;
        lines.Where(l => l.Text.Length > 0).Select(l => (l.Page, l.Text)).ShouldBe([(7, "alpha"), (8, "beta")]);
    }
}

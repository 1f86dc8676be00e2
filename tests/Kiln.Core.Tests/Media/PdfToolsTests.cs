using Kiln.Core.Media;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Media;

public sealed class PdfToolsTests
{
    private readonly PdfTools _tools = new(new ProcessRunner());

    [Fact]
    public async Task Reads_page_count_title_text_per_page_and_outline_of_a_generated_pdf()
    {
        using var dir = new TempDir();
        var path = TestPdf.Write(dir.File("doc.pdf"), ["Alpha page one.", "Bravo (page) two.", "Charlie page three."],
            title: "Generated Doc", outline: [("Start", 1), ("Finish", 3)]);
        var ct = TestContext.Current.CancellationToken;

        var info = await _tools.GetInfoAsync(path, ct);
        info.Pages.ShouldBe(3);
        info.Title.ShouldBe("Generated Doc");

        var pages = await _tools.ExtractPagesAsync(path, 2, 3, ct);
        pages.Count.ShouldBe(2);
        pages[0].ShouldContain("Bravo (page) two.");
        pages[1].ShouldContain("Charlie page three.");

        var outline = await _tools.GetOutlineAsync(path, ct);
        outline.ShouldBe([new PdfOutlineEntry("Start", 1, 0), new PdfOutlineEntry("Finish", 3, 0)]);
    }

    [Fact]
    public async Task A_file_that_is_not_a_pdf_fails_with_a_tool_error()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.pdf");
        await File.WriteAllTextAsync(path, "not a pdf", TestContext.Current.CancellationToken);
        await Should.ThrowAsync<ToolFailedException>(() => _tools.GetInfoAsync(path, TestContext.Current.CancellationToken));
    }
}

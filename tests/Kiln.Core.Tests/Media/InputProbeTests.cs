using Kiln.Core.Media;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Media;

public sealed class InputProbeTests
{
    private readonly PdfTools _pdf = new(new ProcessRunner());

    [Fact]
    public async Task Detects_pdfs_by_magic_bytes_whatever_the_extension_and_counts_pages()
    {
        using var dir = new TempDir();
        var path = TestPdf.Write(dir.File("upload.bin"), ["a", "b", "c"]);
        var facts = await InputProbe.ProbeAsync(path, _pdf, TestContext.Current.CancellationToken);
        facts.Kind.ShouldBe("pdf");
        facts.FileName.ShouldBe("upload.bin");
        facts.Metadata.GetProperty("pages").GetInt32().ShouldBe(3);
    }

    [Fact]
    public async Task A_pdf_extension_without_the_magic_is_not_a_pdf()
    {
        using var dir = new TempDir();
        var path = dir.File("fake.pdf");
        await File.WriteAllTextAsync(path, "just text", TestContext.Current.CancellationToken);
        (await InputProbe.ProbeAsync(path, _pdf, TestContext.Current.CancellationToken)).Kind.ShouldBe("text");
    }
}

using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Cli.Commands;
using Kiln.Core.Tests.Pipelines.PdfPodcast;
using Kiln.Core.Tests.Support;
using Kiln.Core.Uploads;
using Spectre.Console;

namespace Kiln.Core.Tests.Cli;

public sealed class RunCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly StringWriter _output = new();

    public void Dispose()
    {
        _dir.Dispose();
        _output.Dispose();
    }

    private Task<int> Kiln(params string[] args)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(_output),
        });
        var root = new RootCommand { RunCommand.Create(console) };
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = _output, Error = _output }, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Runs_pdf_podcast_and_writes_the_script()
    {
        var pdf = TestPdf.Write(_dir.File("handbook.pdf"), PdfPodcastPipelineTests.HandbookPages());
        var outDir = _dir.File("out");

        var exit = await Kiln("run", "pdf-podcast", pdf, "--pages", "1-3", "--option", "hosts=[\"Ada\",\"Ben\"]", "-o", "style=lecture", "--out", outDir);

        exit.ShouldBe(RunCommand.ExitOk, _output.ToString());
        var markdown = await File.ReadAllTextAsync(Path.Combine(outDir, "script.md"), TestContext.Current.CancellationToken);
        markdown.ShouldContain("**Ada:**");
        markdown.ShouldContain("kiln");
        File.Exists(Path.Combine(outDir, "script.json")).ShouldBeTrue();
        var text = _output.ToString();
        text.ShouldContain("estimated cost 1 credit(s)");
        text.ShouldContain("[100%] done");
        text.ShouldContain("script.md");
    }

    [Theory]
    [InlineData("0-3", "invalid_page_range")]
    [InlineData("5-2", "invalid_page_range")]
    [InlineData("1-9", "invalid_page_range")]
    public async Task Prints_plan_errors_and_exits_with_2(string pages, string code)
    {
        var pdf = TestPdf.Write(_dir.File("small.pdf"), ["One page of text here."]);
        (await Kiln("run", "pdf-podcast", pdf, "--pages", pages, "--out", _dir.File("o"))).ShouldBe(RunCommand.ExitInvalid);
        _output.ToString().ShouldContain($"Error ({code})");
        Directory.Exists(_dir.File("o")).ShouldBeFalse();
    }

    [Fact]
    public async Task Rejects_unknown_pipelines_missing_files_and_non_pdfs()
    {
        var txt = _dir.File("notes.txt");
        await File.WriteAllTextAsync(txt, "hello", TestContext.Current.CancellationToken);
        (await Kiln("run", "nope", txt)).ShouldBe(RunCommand.ExitInvalid);
        // The console wraps long lines, so each id is looked for on its own.
        _output.ToString().ShouldContain("Available: dubbing,");
        foreach (var id in new[] { "pdf-audiobook,", "pdf-podcast,", "podcast-episode,", "study-notes." }) _output.ToString().ShouldContain(id);
        (await Kiln("run", "pdf-podcast", _dir.File("missing.pdf"))).ShouldBe(RunCommand.ExitInvalid);
        (await Kiln("run", "pdf-podcast", txt)).ShouldBe(RunCommand.ExitInvalid);
        _output.ToString().ShouldContain("does not accept text files");
    }

    /// <summary>The CLI runs the upload checks: what the web app would refuse, <c>kiln run</c> refuses with the same message.</summary>
    [Theory]
    [InlineData("encrypted", "pdf_encrypted")]
    [InlineData("not-a-pdf", "type_mismatch")]
    [InlineData("truncated", "pdf_invalid")]
    public async Task A_pdf_an_upload_would_refuse_is_refused_with_the_uploads_message_and_exit_2(string file, string code)
    {
        var path = _dir.File("paper.pdf");
        await File.WriteAllBytesAsync(path, file switch
        {
            "encrypted" => TestFiles.EncryptedPdf(),
            "truncated" => TestFiles.TruncatedPdf(),
            _ => Encoding.UTF8.GetBytes("Meeting notes, saved with the wrong extension.\n"),
        }, TestContext.Current.CancellationToken);

        (await Kiln("run", "pdf-podcast", path, "--out", _dir.File("o"))).ShouldBe(RunCommand.ExitInvalid);

        // Spectre wraps long lines; the message is compared with its whitespace folded.
        var text = Regex.Replace(_output.ToString(), @"\s+", " ");
        text.ShouldContain($"Error ({code}): ");
        var expected = file switch
        {
            "encrypted" => UploadErrors.PdfEncrypted().Message,
            "not-a-pdf" => "'paper.pdf' is named like a PDF but is not one.",
            _ => "The PDF is damaged or truncated: ",
        };
        text.ShouldContain(expected);
        text.ShouldNotContain("estimated cost");
        Directory.Exists(_dir.File("o")).ShouldBeFalse();
    }

    [Fact]
    public async Task A_scanned_pdf_fails_with_exit_1_and_a_readable_message()
    {
        var pdf = TestPdf.Write(_dir.File("scan.pdf"), [""]);
        (await Kiln("run", "pdf-podcast", pdf, "--out", _dir.File("o"))).ShouldBe(RunCommand.ExitFailed);
        _output.ToString().ShouldContain("no extractable text");
    }

    [Fact]
    public void Option_values_are_json_when_they_parse_and_text_otherwise()
    {
        var options = RunCommand.BuildOptions(["maxChapters=3", "hosts=[\"A\",\"B\"]", "style=lecture", "pages=1-2"], pages: "4", audio: true);
        options.Value.GetRawText().ShouldBe("""{"maxChapters":3,"hosts":["A","B"],"style":"lecture","pages":"4","audio":true}""");
        RunCommand.BuildOptions(["novalue"], null, false).Error!.Code.ShouldBe("invalid_options");
    }
}

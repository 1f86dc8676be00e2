using System.Text.Json;
using Kiln.Core.Pipelines.Command;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Kiln.Core.Tests.Pipelines.Command;

/// <summary>The two tools in examples/pipelines, registered as appsettings.example.json registers them, run end to end.</summary>
public sealed class CommandExampleTests : IDisposable
{
    private readonly CommandTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>The example definition with the operator's install path replaced by this checkout's examples folder.</summary>
    private static CommandPipelineDefinition Example(string id)
    {
        var examples = Path.Combine(S3Server.RepoRoot(), "examples", "pipelines");
        var config = new ConfigurationBuilder().AddJsonFile(Path.Combine(examples, "appsettings.example.json")).Build();
        var d = CommandPipelineConfiguration.Load(config).Single(d => d.Id == id);
        d.Executable = d.Executable.Replace("/opt/kiln/examples/pipelines", examples, StringComparison.Ordinal);
        d.Arguments = d.Arguments.Select(a => a.Replace("/opt/kiln/examples/pipelines", examples, StringComparison.Ordinal)).ToList();
        return d;
    }

    private string Input(string name, byte[] content)
    {
        var path = Path.Combine(_kit.Scratch, "inputs", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public async Task Loudness_report_measures_a_tone_and_writes_its_reports()
    {
        var wav = Input("tone.wav", TestFiles.Wav(seconds: 3));

        var result = await _kit.RunAsync(Example("loudness-report"), new Dictionary<string, string> { ["source"] = wav }, """{"targetLufs":-23}""");

        result.Succeeded.ShouldBeTrue($"{result.Error}\n{result.StdErr}");
        result.Artifacts.Select(a => (a.Name, a.ContentType)).ShouldBe([("report.json", "application/json"), ("report.md", "text/markdown")]);
        _kit.Events.Progress[^1].Percent.ShouldBe(100);
        _kit.Events.Progress.Select(p => p.Percent).ShouldBeInOrder();

        using var report = JsonDocument.Parse(File.ReadAllText(result.Artifacts[0].FullPath));
        var r = report.RootElement;
        r.GetProperty("file").GetString().ShouldBe("tone.wav");
        // ffmpeg's sine source is a 440 Hz tone at 1/8 of full scale: about -18 dBFS peak, about -21 LUFS.
        r.GetProperty("integratedLufs").GetDouble().ShouldBeInRange(-24, -19);
        r.GetProperty("truePeakDbtp").GetDouble().ShouldBeInRange(-19, -17);
        r.GetProperty("targetLufs").GetDouble().ShouldBe(-23);
        r.GetProperty("maxTruePeakDbtp").GetDouble().ShouldBe(-1);
        r.GetProperty("truePeakOk").GetBoolean().ShouldBeTrue();
        File.ReadAllText(result.Artifacts[1].FullPath).ShouldContain("| Integrated loudness |");
    }

    [Fact]
    public async Task Loudness_report_refuses_a_file_without_audio_with_its_own_error()
    {
        var text = Input("notes.txt", "just words"u8.ToArray());
        var result = await _kit.RunAsync(Example("loudness-report"), new Dictionary<string, string> { ["source"] = text });
        result.Error.ShouldBe(new CommandError("unreadable_media", "The file could not be read as audio or video."));
        result.Artifacts.ShouldBeEmpty();
    }

    [Fact]
    public async Task Text_stats_counts_a_markdown_document_and_writes_its_reports()
    {
        var doc = Input("guide.md", System.Text.Encoding.UTF8.GetBytes("""
            # Kiln guide

            Kiln runs **pipelines** as jobs. A pipeline turns an [upload](https://example.org) into artifacts.
            Does every pipeline have a price? Yes.

            ## Command pipelines

            - Operators register command pipelines in configuration.
            - A command speaks the protocol.

            ```
            code blocks are not counted as prose
            ```
            """));

        // By hand: 34 words (the code block is not prose), 8 sentences (headings count as one each), 4 paragraphs.
        var result = await _kit.RunAsync(Example("text-stats"), new Dictionary<string, string> { ["source"] = doc }, """{"keywords":3}""");

        result.Succeeded.ShouldBeTrue($"{result.Error}\n{result.StdErr}");
        result.Artifacts.Select(a => a.Name).ShouldBe(["stats.json", "stats.md"]);
        using var stats = JsonDocument.Parse(File.ReadAllText(result.Artifacts[0].FullPath));
        var s = stats.RootElement;
        s.GetProperty("format").GetString().ShouldBe("markdown");
        s.GetProperty("words").GetInt32().ShouldBe(34);
        s.GetProperty("sentences").GetInt32().ShouldBe(8);
        s.GetProperty("paragraphs").GetInt32().ShouldBe(4);
        s.GetProperty("readingTimeMinutes").GetInt32().ShouldBe(1);
        s.GetProperty("headings").EnumerateArray().Select(h => h.GetString()).ShouldBe(["Kiln guide", "Command pipelines"]);
        s.GetProperty("keywords").EnumerateArray().Select(k => (k.GetProperty("word").GetString(), k.GetProperty("count").GetInt32()))
            .ShouldBe([("command", 3), ("pipelines", 3), ("kiln", 2)]);
        File.ReadAllText(result.Artifacts[1].FullPath).ShouldContain("1. **command** (3)");
        _kit.Events.Progress[^1].Message.ShouldBe("34 words, 8 sentences, about 1 min to read");
    }

    [Fact]
    public async Task Text_stats_reports_an_empty_document_as_its_own_error()
    {
        var empty = Input("empty.txt", "   \n\n"u8.ToArray());
        var result = await _kit.RunAsync(Example("text-stats"), new Dictionary<string, string> { ["source"] = empty });
        result.Error.ShouldBe(new CommandError("empty_text", "The document contains no words."));
    }
}

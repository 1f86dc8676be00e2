using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Media;
using Kiln.Core.Pipelines;
using Kiln.Core.Tests.Pipelines.Dubbing;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Pipelines;

/// <summary>
/// The CLI and the worker run every pipeline through the same host: for each pipeline <c>kiln run</c> installs (the
/// built-ins and two configured command pipelines) the same short input and default options give the same artifact
/// names, the same bytes for text artifacts, and media of the same duration (±1 %). The worker's jobs all start at once
/// in a shared fixture, so they run while the CLI processes do.
/// </summary>
public sealed class CliWorkerParityTests(CliWorkerParityTests.Run run) : IClassFixture<CliWorkerParityTests.Run>
{
    private static readonly HashSet<string> MediaExtensions = [".mp3", ".m4a", ".m4b", ".wav", ".mp4", ".ogg"];
    private static readonly HashSet<string> TextExtensions = [".json", ".md", ".txt", ".srt", ".vtt"];

    /// <summary>One cheap input per pipeline: (slot, file name in the fixture's directory).</summary>
    private static readonly Dictionary<string, (string Slot, string File)> Inputs = new()
    {
        ["pdf-podcast"] = ("source", "doc.pdf"),
        ["pdf-audiobook"] = ("source", "doc.pdf"),
        ["podcast-episode"] = ("audio", "speech.wav"),
        ["dubbing"] = ("voice", "speech.wav"),
        ["study-notes"] = ("subtitles", "lecture.srt"),
        ["text-stats"] = ("source", "doc.txt"),
        ["loudness-report"] = ("source", "speech.wav"),
    };

    public static TheoryData<string> Ids() => [.. Inputs.Keys];

    [Fact]
    public void Every_pipeline_kiln_run_installs_has_a_parity_case()
    {
        using var services = new ServiceCollection().AddLogging().AddPipelines(Run.Configuration()).BuildServiceProvider();
        services.GetRequiredService<PipelineCatalog>().All.Select(p => p.Descriptor.Id).Order().ShouldBe(Inputs.Keys.Order());
    }

    [Theory, MemberData(nameof(Ids))]
    public async Task Kiln_run_and_the_worker_write_the_same_artifacts(string id)
    {
        var missing = run.MissingTools(id);
        Assert.SkipWhen(missing.Count > 0, $"{id} needs {string.Join(", ", missing)}, which this machine does not have.");
        var ct = TestContext.Current.CancellationToken;
        var (slot, file) = Inputs[id];
        var outDir = Path.Combine(run.Directory, "out-" + id);

        var cli = await RunCliAsync(id, slot, Path.Combine(run.Directory, file), outDir, ct);
        var job = await run.User.Client.WaitForJob(run.Jobs[id], "succeeded", "failed");
        job.GetProperty("status").GetString().ShouldBe("succeeded", job.ToString());
        cli.ExitCode.ShouldBe(0, cli.Output);

        var artifacts = (await (await run.User.Client.GetAsync($"/api/jobs/{run.Jobs[id]}/artifacts")).Json(HttpStatusCode.OK)).EnumerateArray()
            .ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("downloadUrl").GetString()!);
        var local = System.IO.Directory.GetFiles(outDir).Select(Path.GetFileName).OfType<string>().ToList();
        local.Order(StringComparer.Ordinal).ShouldBe(artifacts.Keys.Order(StringComparer.Ordinal), $"{id}: artifact names");

        foreach (var (name, url) in artifacts)
        {
            var ext = Path.GetExtension(name).ToLowerInvariant();
            var mine = Path.Combine(outDir, name);
            if (MediaExtensions.Contains(ext))
            {
                var theirs = Path.Combine(run.Directory, $"worker-{id}-{name}");
                await File.WriteAllBytesAsync(theirs, await run.User.Client.GetByteArrayAsync(url, ct), ct);
                var (a, b) = (await DubbingMedia.DurationAsync(new ProcessRunner(), mine), await DubbingMedia.DurationAsync(new ProcessRunner(), theirs));
                Math.Abs(a - b).ShouldBeLessThanOrEqualTo(0.01 * Math.Max(a, b), $"{id}/{name}: {a:0.###} s from kiln run, {b:0.###} s from the worker");
            }
            else if (TextExtensions.Contains(ext))
                Comparable(ext, await File.ReadAllTextAsync(mine, ct)).ShouldBe(Comparable(ext, await run.User.Client.GetStringAsync(url, ct)), $"{id}/{name}");
        }
    }

    /// <summary>JSON without what cannot repeat: the ids of the platform's own records (an upload, a job), which exist only on
    /// the worker's side, and measured wall-clock step times.</summary>
    private static string Comparable(string ext, string text)
    {
        if (ext != ".json") return text;
        var node = JsonNode.Parse(text);
        Strip(node);
        return node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";

        static void Strip(JsonNode? n)
        {
            if (n is JsonObject o)
            {
                foreach (var key in Unrepeatable) o.Remove(key);
                foreach (var (_, child) in o) Strip(child);
            }
            else if (n is JsonArray a) foreach (var child in a) Strip(child);
        }
    }

    private static readonly string[] Unrepeatable = ["uploadId", "jobId", "stepSeconds"];

    private async Task<(int ExitCode, string Output)> RunCliAsync(string id, string slot, string input, string outDir, CancellationToken ct)
    {
        var cli = Path.Combine(S3Server.RepoRoot(), "src", "Kiln.Cli", "bin", "Debug", "net10.0", "kiln.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = run.Directory };
        foreach (var a in new[] { cli, "run", id, "--input", $"{slot}={input}", "--out", outDir }) psi.ArgumentList.Add(a);
        foreach (var (k, v) in CommandPipelineApiTests.Config()) psi.Environment[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The inputs, one host with a worker, and one job per pipeline started at once.</summary>
    public sealed class Run(PostgresServer pg) : IAsyncLifetime
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kiln-parity-").FullName;
        public KilnTestHost Host { get; private set; } = null!;
        public TestUser User { get; private set; } = null!;
        public Dictionary<string, Guid> Jobs { get; } = [];
        private IServiceProvider Catalog { get; } = new ServiceCollection().AddLogging().AddPipelines(Configuration()).BuildServiceProvider();

        public static IConfiguration Configuration() => new ConfigurationBuilder().AddInMemoryCollection(CommandPipelineApiTests.Config()).Build();

        public IReadOnlyList<string> MissingTools(string id) =>
            (Catalog.GetRequiredService<PipelineCatalog>().Find(id)!.Descriptor.RequiredTools ?? []).Where(t => !WorkerCapabilities.ToolExists(t)).ToList();

        public async ValueTask InitializeAsync()
        {
            var pages = new[]
            {
                "Chapter 1. Firing clay\nKilns fire clay at high temperature. Potters care about heat and time because both decide how strong the pot becomes.",
                "Chapter 2. Glazes\nA glaze is a thin layer of glass. It melts in the kiln and seals the surface of the pot against water.",
            };
            await File.WriteAllBytesAsync(Path.Combine(Directory, "doc.pdf"), TestPdf.Create(pages, title: "Kiln parity"));
            await File.WriteAllTextAsync(Path.Combine(Directory, "doc.txt"), string.Join("\n\n", pages));
            File.Copy(TestSpeech.Wav(["Please call me tomorrow morning before nine."]), Path.Combine(Directory, "speech.wav"));
            await File.WriteAllTextAsync(Path.Combine(Directory, "lecture.srt"),
                "1\n00:00:00,000 --> 00:00:04,000\nToday we look at how a kiln fires clay.\n\n2\n00:00:04,000 --> 00:00:09,000\nHeat and time decide how strong the pot becomes.\n\n" +
                "3\n00:00:09,000 --> 00:00:14,000\nA glaze is a thin layer of glass that seals the surface.\n");

            Host = await KilnTestHost.StartAsync("sqlite", pg, overrides: CommandPipelineApiTests.Config());
            User = await Host.SignUpAsync();
            foreach (var (id, (slot, file)) in Inputs)
            {
                if (MissingTools(id).Count > 0) continue;
                var upload = await User.Client.UploadReadyAsync(file, await File.ReadAllBytesAsync(Path.Combine(Directory, file)));
                var created = await (await User.Client.PostAsJsonAsync("/api/jobs", new { pipeline = id, inputs = new Dictionary<string, Guid> { [slot] = upload } }))
                    .Json(HttpStatusCode.Created);
                Jobs[id] = created.Id();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            (Catalog as IDisposable)?.Dispose();
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        }
    }
}

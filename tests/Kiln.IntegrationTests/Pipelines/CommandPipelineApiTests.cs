using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Pipelines;

/// <summary>
/// The two example command pipelines in examples/pipelines, registered through configuration as an operator would,
/// run end to end through the API: listed with their schema and price, estimated, held, run in the sandbox, charged,
/// and their artifacts downloaded.
/// </summary>
public sealed class CommandPipelineApiTests(PostgresServer pg)
{
    internal static Dictionary<string, string?> Config()
    {
        var examples = Path.Combine(S3Server.RepoRoot(), "examples", "pipelines");
        return new Dictionary<string, string?>
        {
            ["Kiln:CommandPipelines:text-stats:Name"] = "Text statistics",
            ["Kiln:CommandPipelines:text-stats:Description"] = "Words, sentences, reading time and keywords.",
            ["Kiln:CommandPipelines:text-stats:Executable"] = "/usr/bin/python3",
            ["Kiln:CommandPipelines:text-stats:Arguments:0"] = "-I",
            ["Kiln:CommandPipelines:text-stats:Arguments:1"] = Path.Combine(examples, "text-stats.py"),
            ["Kiln:CommandPipelines:text-stats:Arguments:2"] = "{input.source}",
            ["Kiln:CommandPipelines:text-stats:Arguments:3"] = "{output}",
            ["Kiln:CommandPipelines:text-stats:Arguments:4"] = "--keywords={options.keywords}",
            ["Kiln:CommandPipelines:text-stats:Inputs:0:Name"] = "source",
            ["Kiln:CommandPipelines:text-stats:Inputs:0:Kinds:0"] = "text",
            ["Kiln:CommandPipelines:text-stats:OptionsSchema:Properties:keywords:Type"] = "integer",
            ["Kiln:CommandPipelines:text-stats:OptionsSchema:Properties:keywords:Minimum"] = "1",
            ["Kiln:CommandPipelines:text-stats:OptionsSchema:Properties:keywords:Maximum"] = "100",
            ["Kiln:CommandPipelines:text-stats:OptionsSchema:Properties:keywords:Default"] = "10",
            ["Kiln:CommandPipelines:text-stats:Price:Credits"] = "2",
            ["Kiln:CommandPipelines:text-stats:TimeoutSeconds"] = "60",
            ["Kiln:CommandPipelines:loudness-report:Name"] = "Loudness report",
            ["Kiln:CommandPipelines:loudness-report:Executable"] = Path.Combine(examples, "loudness-report.sh"),
            ["Kiln:CommandPipelines:loudness-report:Arguments:0"] = "{input.source}",
            ["Kiln:CommandPipelines:loudness-report:Arguments:1"] = "{output}",
            ["Kiln:CommandPipelines:loudness-report:Inputs:0:Name"] = "source",
            ["Kiln:CommandPipelines:loudness-report:Inputs:0:Kinds:0"] = "audio",
            ["Kiln:CommandPipelines:loudness-report:Inputs:0:Kinds:1"] = "video",
            ["Kiln:CommandPipelines:loudness-report:Price:Credits"] = "1",
            ["Kiln:CommandPipelines:loudness-report:Price:PerMinute"] = "1",
            ["Kiln:CommandPipelines:loudness-report:TimeoutSeconds"] = "120",
        };
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Text_stats_runs_from_configuration_through_the_api(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: Config());
        var user = await host.SignUpAsync();

        var listed = (await (await user.Client.GetAsync("/api/pipelines")).Json(HttpStatusCode.OK)).EnumerateArray()
            .Single(p => p.GetProperty("id").GetString() == "text-stats");
        listed.GetProperty("slots")[0].GetProperty("name").GetString().ShouldBe("source");
        listed.GetProperty("optionsSchema").GetProperty("properties").GetProperty("keywords").GetProperty("maximum").GetDouble().ShouldBe(100);

        var text = string.Join("\n\n", Enumerable.Range(1, 20).Select(i => $"Kilns fire clay at high temperature. Glazes melt into glass in kiln number {i}."));
        var upload = await user.Client.UploadReadyAsync("notes.txt", System.Text.Encoding.UTF8.GetBytes(text));

        await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "text-stats", inputs = new { source = upload }, options = new { keywords = 500 } }))
            .Problem(HttpStatusCode.UnprocessableEntity, "invalid_options");
        var estimate = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "text-stats", inputs = new { source = upload }, options = new { keywords = 5 } })).Json(HttpStatusCode.OK);
        estimate.GetProperty("estimatedCost").GetInt64().ShouldBe(2);

        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "text-stats", inputs = new { source = upload }, options = new { keywords = 5 } })).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());

        var artifacts = await (await user.Client.GetAsync($"/api/jobs/{job.Id()}/artifacts")).Json(HttpStatusCode.OK);
        var stats = artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "stats.json");
        var json = JsonDocument.Parse(await user.Client.GetByteArrayAsync(stats.GetProperty("downloadUrl").GetString())).RootElement;
        json.GetProperty("words").GetInt32().ShouldBe(20 * 13, json.GetRawText()); // numbers are not words
        json.GetProperty("sentences").GetInt32().ShouldBe(40, json.GetRawText());
        json.GetProperty("keywords").EnumerateArray().Select(k => k.GetProperty("word").GetString()).ShouldBe(["clay", "fire", "glass", "glazes", "high"], json.GetRawText()); // the keywords=5 option reached the command; ties are alphabetical
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(23);
        await using var db = host.NewDbContext();
        await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task Loudness_report_is_priced_by_the_minute_of_its_input()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, overrides: Config());
        var user = await host.SignUpAsync();
        var wav = await user.Client.UploadReadyAsync("tone.wav", TestFiles.Wav(3));
        var estimate = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "loudness-report", uploads = new[] { wav } })).Json(HttpStatusCode.OK);
        estimate.GetProperty("estimatedCost").GetInt64().ShouldBe(2);
        estimate.GetProperty("lines").GetArrayLength().ShouldBe(2);

        var job = await (await user.Client.CreateJob("loudness-report", null, [wav])).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
        var names = (await (await user.Client.GetAsync($"/api/jobs/{job.Id()}/artifacts")).Json(HttpStatusCode.OK)).EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList();
        names.ShouldContain("report.json");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(23);
    }
}

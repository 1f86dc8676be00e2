using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Pipelines;

/// <summary>podcast-episode through the real job path: upload a noisy recording, estimate, run on the worker, download.</summary>
public sealed class PodcastEpisodeApiTests(PostgresServer pg)
{
    [Fact]
    public async Task A_recording_is_processed_into_a_tagged_mp3_with_chapters_and_is_charged_the_minimum()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await KilnTestHost.StartAsync("sqlite", pg);
        var user = await host.SignUpAsync();
        var before = (await user.Client.Balance()).GetProperty("available").GetInt64();
        var upload = await user.Client.UploadReadyAsync("episode.wav", await File.ReadAllBytesAsync(TestPodcastAudio.Episode(), ct));
        var options = new { title = "Weather stations", showTitle = "The Workshop", transcribe = false };

        var estimate = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "podcast-episode", uploads = new[] { upload }, options }, ct)).Json(HttpStatusCode.OK);
        estimate.GetProperty("estimatedCost").GetInt64().ShouldBe(3);

        var job = await (await user.Client.CreateJob("podcast-episode", options, [upload])).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());

        var artifacts = await (await user.Client.GetAsync($"/api/jobs/{job.Id()}/artifacts", ct)).Json(HttpStatusCode.OK);
        var names = artifacts.EnumerateArray().Select(a => a.GetProperty("name").GetString()).Order().ToList();
        names.ShouldBe(["chapters.json", "episode.json", "episode.mp3", "peaks.json", "shownotes.md"]);
        string Url(string name) => artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == name).GetProperty("downloadUrl").GetString()!;
        var manifest = JsonDocument.Parse(await user.Client.GetStringAsync(Url("episode.json"), ct)).RootElement;
        manifest.GetProperty("loudness").GetProperty("integratedLufs").GetDouble().ShouldBeInRange(-16.5, -15.5);
        manifest.GetProperty("steps").GetProperty("transcribe").GetString().ShouldBe("off");
        var mp3 = await user.Client.GetByteArrayAsync(Url("episode.mp3"), ct);
        mp3.Length.ShouldBeGreaterThan(100_000);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(before - 3);
    }
}

using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Podcasts.Recordings;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Podcasts;

/// <summary>
/// The plan's storage where bytes arrive (an upload created and completed, a recording chunk), the month's recording
/// minutes under two finalizes at once, and a join that outlasts the request's bound. Never a lost recording.
/// </summary>
public sealed class StudioLimitsTests(PostgresServer pg)
{
    [Fact]
    public async Task Storage_is_checked_when_an_upload_is_created_and_completed_and_when_a_chunk_arrives_and_nothing_received_is_lost()
    {
        var mp3 = PodcastTestKit.Mp3(3);
        var chunks = PodcastTestKit.Split(PodcastTestKit.Webm(8), 2);
        var plans = new Dictionary<string, string?>(PodcastTestKit.Settings)
        {
            // Room for one file of mp3's size, not two.
            ["Kiln:Billing:Plans:0:Id"] = "free", ["Kiln:Billing:Plans:0:MaxStorageBytes"] = (mp3.Length * 3 / 2).ToString(),
            // Room for one file, the first chunk and half the second.
            ["Kiln:Billing:Plans:1:Id"] = "small", ["Kiln:Billing:Plans:1:RecordingMinutesPerMonth"] = "0",
            ["Kiln:Billing:Plans:1:MaxStorageBytes"] = (mp3.Length + chunks[0].Length + chunks[1].Length / 2).ToString(),
            ["Kiln:Billing:Plans:2:Id"] = "pro", ["Kiln:Billing:Plans:2:MaxStorageBytes"] = "0",
            // Far too short for any join: finalizing must answer 503 and change nothing.
            ["Kiln:Podcasts:FinalizeTimeout"] = "00:00:00.001",
        };
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, plans, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();

        // Declared bigger than the room left: refused before a byte is sent, with the upgrade link.
        var declared = await (await user.Client.PostAsJsonAsync("/api/uploads", new { fileName = "big.mp3", size = mp3.Length * 2L, contentType = "audio/mpeg" }))
            .Problem(HttpStatusCode.Forbidden, "plan_storage_limit");
        declared.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        declared.GetProperty("title").GetString()!.ShouldContain("upload it again");

        // Two that each fit when created; the second no longer fits when it is completed, and stays pending with its bytes.
        var a = await SendBytes(user.Client, "a.mp3", mp3);
        var b = await SendBytes(user.Client, "b.mp3", mp3);
        (await (await Complete(user.Client, a)).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("ready");
        var full = await (await Complete(user.Client, b)).Problem(HttpStatusCode.Forbidden, "plan_storage_limit");
        full.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        full.GetProperty("neededBytes").GetInt64().ShouldBe(mp3.Length);
        (await (await user.Client.GetAsync($"/api/uploads/{b}")).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("pending");
        // Freeing space lets the same upload complete: nothing had to be sent again.
        (await user.Client.DeleteAsync($"/api/uploads/{a}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await (await Complete(user.Client, b)).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("ready");

        // A recording: the first chunk fits, the second does not; the first stays, and a retry of it is still accepted.
        await host.SetPlan(user, "small");
        var show = (await user.Client.CreateShow("Limits " + Guid.NewGuid().ToString("N")[..6])).Id();
        var episode = (await (await user.Client.PostAsJsonAsync($"/api/shows/{show}/episodes", new { title = "Take" })).Json(HttpStatusCode.Created)).Id();
        var rec = (await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId = episode })).Json(HttpStatusCode.Created)).Id();
        await (await user.Client.PutChunk(rec, 0, chunks[0])).Json(HttpStatusCode.OK);
        var refused = await (await user.Client.PutChunk(rec, 1, chunks[1])).Problem(HttpStatusCode.Forbidden, "plan_storage_limit");
        refused.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        refused.GetProperty("title").GetString()!.ShouldContain("what was recorded before this chunk is kept");
        await (await user.Client.PutChunk(rec, 0, chunks[0])).Json(HttpStatusCode.OK);
        var state = await (await user.Client.GetAsync($"/api/recordings/{rec}")).Json(HttpStatusCode.OK);
        state.GetProperty("chunks").EnumerateArray().Select(e => e.GetInt32()).ShouldBe([0]);
        File.Exists(Path.Combine(host.BlobPath, "ws", user.WorkspaceId.ToString("N"), "recordings", rec.ToString("N"), "00001")).ShouldBeFalse("a refused chunk is not stored");

        // Finalizing is bounded: past Kiln:Podcasts:FinalizeTimeout, 503 with Retry-After, and the recording is as it was.
        var slow = await user.Client.PostAsync($"/api/recordings/{rec}/finalize", null);
        slow.Headers.RetryAfter?.Delta.ShouldBe(TimeSpan.FromSeconds(RecordingErrors.JoinRetryAfterSeconds));
        (await slow.Problem(HttpStatusCode.ServiceUnavailable, "recording_join_timeout")).GetProperty("title").GetString()!.ShouldContain("every chunk is kept");
        state = await (await user.Client.GetAsync($"/api/recordings/{rec}")).Json(HttpStatusCode.OK);
        state.GetProperty("status").GetString().ShouldBe("open");
        state.GetProperty("chunks").GetArrayLength().ShouldBe(1);
        await using (var db = host.NewDbContext())
            (await db.Uploads.CountAsync(u => u.WorkspaceId == user.WorkspaceId)).ShouldBe(1, "a timed-out finalize makes no upload");

        // After an upgrade the recording continues where it stopped.
        await host.SetPlan(user, "pro");
        await (await user.Client.PutChunk(rec, 1, chunks[1])).Json(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Two_finalizes_at_once_that_together_exceed_the_months_minutes_let_exactly_one_through(string provider)
    {
        var plans = new Dictionary<string, string?>(PodcastTestKit.Settings)
        {
            ["Kiln:Billing:Plans:0:Id"] = "free", ["Kiln:Billing:Plans:0:RecordingMinutesPerMonth"] = "1", ["Kiln:Billing:Plans:0:MaxStorageBytes"] = "0",
            ["Kiln:Billing:Plans:1:Id"] = "pro", ["Kiln:Billing:Plans:1:RecordingMinutesPerMonth"] = "0", ["Kiln:Billing:Plans:1:MaxStorageBytes"] = "0",
        };
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, plans, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var show = (await user.Client.CreateShow("Race " + Guid.NewGuid().ToString("N")[..6])).Id();
        var chunks = PodcastTestKit.Split(PodcastTestKit.Webm(8), 2);
        var recordings = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            var episode = (await (await user.Client.PostAsJsonAsync($"/api/shows/{show}/episodes", new { title = $"Take {i}" })).Json(HttpStatusCode.Created)).Id();
            var rec = (await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId = episode })).Json(HttpStatusCode.Created)).Id();
            for (var n = 0; n < chunks.Count; n++) await (await user.Client.PutChunk(rec, n, chunks[n])).Json(HttpStatusCode.OK);
            recordings.Add(rec);
        }
        // 50 s used: either 8-s recording fits alone, both together (66 s) do not.
        await using (var db = host.NewDbContext())
        {
            var now = DateTime.UtcNow;
            db.Recordings.Add(new Recording
            {
                Id = Guid.NewGuid(), WorkspaceId = user.WorkspaceId, ShowId = show, EpisodeId = Guid.NewGuid(), ContentType = "audio/webm",
                Status = RecordingStatus.Finalized, DurationSeconds = 50, CreatedAt = now, UpdatedAt = now, FinalizedAt = now,
            });
            await db.SaveChangesAsync();
        }

        var answers = await Task.WhenAll(recordings.Select(r => user.Client.PostAsync($"/api/recordings/{r}/finalize", null)));
        answers.Select(a => a.StatusCode).Order().ShouldBe([HttpStatusCode.OK, HttpStatusCode.Forbidden]);
        var loser = recordings[Array.FindIndex(answers, a => a.StatusCode == HttpStatusCode.Forbidden)];
        var problem = await answers.Single(a => a.StatusCode == HttpStatusCode.Forbidden).Problem(HttpStatusCode.Forbidden, "plan_recording_minutes");
        problem.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        problem.GetProperty("usedSeconds").GetDouble().ShouldBe(58, 0.5, "the winner's seconds are counted");

        // The loser is open with every chunk, its joined upload is gone, and it finalizes after an upgrade.
        var state = await (await user.Client.GetAsync($"/api/recordings/{loser}")).Json(HttpStatusCode.OK);
        state.GetProperty("status").GetString().ShouldBe("open");
        state.GetProperty("chunks").GetArrayLength().ShouldBe(2);
        await using (var db = host.NewDbContext())
            (await db.Uploads.CountAsync(u => u.WorkspaceId == user.WorkspaceId)).ShouldBe(1, "only the winner's joined file is kept");
        await host.SetPlan(user, "pro");
        (await (await user.Client.PostAsync($"/api/recordings/{loser}/finalize", null)).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("finalized");
    }

    private static async Task<Guid> SendBytes(HttpClient c, string fileName, byte[] bytes)
    {
        var created = await (await c.PostAsJsonAsync("/api/uploads", new { fileName, size = bytes.LongLength, contentType = "audio/mpeg" })).Json(HttpStatusCode.Created);
        var part = created.GetProperty("parts").EnumerateArray().Single();
        (await c.PutAsync(part.GetProperty("url").GetString(), new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
        return created.Id();
    }

    private static Task<HttpResponseMessage> Complete(HttpClient c, Guid upload) => c.PostAsJsonAsync($"/api/uploads/{upload}/complete", new { parts = Array.Empty<object>() });
}

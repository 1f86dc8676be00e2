using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Podcasts.Recordings;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Podcasts;

/// <summary>
/// Browser recording sessions over the API, with chunks cut from real WebM/Opus files the way MediaRecorder sends
/// them (the first chunk of a session carries the container header): order, retries, conflicts, gaps, empty
/// recordings, a resumed session (a second header) and the plan's monthly minutes and storage.
/// </summary>
public sealed class RecordingsApiTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Chunks_arrive_in_any_order_retries_are_idempotent_and_finalize_joins_the_sessions_into_an_upload(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, PodcastTestKit.Settings, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var (showId, episodeId) = await ShowAndEpisode(user.Client);
        var first = PodcastTestKit.Split(PodcastTestKit.Webm(8), 3);   // one MediaRecorder session…
        var second = PodcastTestKit.Split(PodcastTestKit.Webm(4), 2);  // …and a resumed one: its first chunk starts with a new header

        var rec = await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId, contentType = "audio/webm;codecs=opus" })).Json(HttpStatusCode.Created);
        var id = rec.Id();
        rec.GetProperty("status").GetString().ShouldBe("open");
        (await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId })).Problem(HttpStatusCode.Conflict, "recording_open"))
            .GetProperty("recordingId").GetString().ShouldBe(id.ToString());
        await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId, contentType = "image/png" })).Problem(HttpStatusCode.UnsupportedMediaType, "recording_format");
        await (await user.Client.PostAsync($"/api/recordings/{id}/finalize", null)).Problem(HttpStatusCode.UnprocessableEntity, "recording_empty");

        // Another workspace sees none of it.
        var other = await host.SignUpAsync();
        await (await other.Client.GetAsync($"/api/recordings/{id}")).Problem(HttpStatusCode.NotFound, "not_found");
        await (await other.Client.PutChunk(id, 0, first[0])).Problem(HttpStatusCode.NotFound, "not_found");
        await (await other.Client.PostAsJsonAsync("/api/recordings", new { episodeId })).Problem(HttpStatusCode.NotFound, "not_found");

        // Out of order, a retry with the same bytes, then different bytes for a received chunk.
        (await (await user.Client.PutChunk(id, 1, first[1])).Json(HttpStatusCode.OK)).GetProperty("missing").EnumerateArray().Select(e => e.GetInt32()).ShouldBe([0]);
        await (await user.Client.PutChunk(id, 0, first[0])).Json(HttpStatusCode.OK);
        var retried = await (await user.Client.PutChunk(id, 0, first[0])).Json(HttpStatusCode.OK);
        retried.GetProperty("chunks").EnumerateArray().Select(e => e.GetInt32()).ShouldBe([0, 1]);
        retried.GetProperty("durationSeconds").GetDouble().ShouldBe(20, 0.01, "the browser's timer says 10 s a chunk");
        await (await user.Client.PutChunk(id, 0, first[1])).Problem(HttpStatusCode.Conflict, "chunk_conflict");
        await (await user.Client.PutChunk(id, -1, first[1])).Problem(HttpStatusCode.BadRequest, "invalid_chunk_index");
        await (await user.Client.PutChunk(id, 5, [])).Problem(HttpStatusCode.BadRequest, "chunk_empty");

        // A gap is refused at finalize with the missing numbers, and nothing is lost.
        await (await user.Client.PutChunk(id, 3, second[0])).Json(HttpStatusCode.OK);
        var gap = await (await user.Client.PostAsync($"/api/recordings/{id}/finalize", null)).Problem(HttpStatusCode.UnprocessableEntity, "recording_incomplete");
        gap.GetProperty("missing").EnumerateArray().Select(e => e.GetInt32()).ShouldBe([2]);
        gap.GetProperty("title").GetString()!.ShouldContain("Chunk 2 never arrived");
        await (await user.Client.PutChunk(id, 2, first[2])).Json(HttpStatusCode.OK);
        await (await user.Client.PutChunk(id, 4, second[1])).Json(HttpStatusCode.OK);

        var done = await (await user.Client.PostAsync($"/api/recordings/{id}/finalize", null)).Json(HttpStatusCode.OK);
        done.GetProperty("status").GetString().ShouldBe("finalized");
        done.GetProperty("durationSeconds").GetDouble().ShouldBe(12, 0.3, "both sessions, measured by ffprobe");
        done.GetProperty("chunks").GetArrayLength().ShouldBe(0);
        var uploadId = Guid.Parse(done.GetProperty("uploadId").GetString()!);
        var upload = await (await user.Client.GetAsync($"/api/uploads/{uploadId}")).Json(HttpStatusCode.OK);
        upload.GetProperty("status").GetString().ShouldBe("ready");
        upload.GetProperty("kind").GetString().ShouldBe("audio");
        // Finalizing again answers the same; the session takes no more chunks and cannot be discarded.
        (await (await user.Client.PostAsync($"/api/recordings/{id}/finalize", null)).Json(HttpStatusCode.OK)).GetProperty("uploadId").GetString().ShouldBe(uploadId.ToString());
        await (await user.Client.PutChunk(id, 5, second[1])).Problem(HttpStatusCode.Conflict, "recording_finalized");
        await (await user.Client.DeleteAsync($"/api/recordings/{id}")).Problem(HttpStatusCode.Conflict, "recording_finalized");
        Directory.Exists(Path.Combine(host.BlobPath, "ws", user.WorkspaceId.ToString("N"), "recordings", id.ToString("N"))).ShouldBeFalse("the chunks are gone once joined");
        await using (var db = host.NewDbContext()) (await db.RecordingChunks.CountAsync(c => c.RecordingId == id)).ShouldBe(0);

        // The joined upload is the episode's input, like any upload.
        (await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}/audio", new { uploadId })).Json(HttpStatusCode.Accepted))
            .GetProperty("status").GetString().ShouldBe("processing");

        // A recording with a header but no audio is a clear 0-second refusal; discarding removes it.
        var (_, episode2) = await ShowAndEpisode(user.Client, showId);
        var empty = (await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId = episode2 })).Json(HttpStatusCode.Created)).Id();
        await (await user.Client.PutChunk(empty, 0, HeaderOnly(first[0]))).Json(HttpStatusCode.OK);
        await (await user.Client.PostAsync($"/api/recordings/{empty}/finalize", null)).Problem(HttpStatusCode.UnprocessableEntity, "recording_empty");
        (await user.Client.DeleteAsync($"/api/recordings/{empty}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await user.Client.GetAsync($"/api/recordings/{empty}")).Problem(HttpStatusCode.NotFound, "not_found");

        // Deleting the episode takes its unfinished recording and chunks with it.
        var orphan = (await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId = episode2 })).Json(HttpStatusCode.Created)).Id();
        await (await user.Client.PutChunk(orphan, 0, first[0])).Json(HttpStatusCode.OK);
        (await user.Client.DeleteAsync($"/api/shows/{showId}/episodes/{episode2}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await user.Client.GetAsync($"/api/recordings/{orphan}")).Problem(HttpStatusCode.NotFound, "not_found");
        Directory.Exists(Path.Combine(host.BlobPath, "ws", user.WorkspaceId.ToString("N"), "recordings", orphan.ToString("N"))).ShouldBeFalse();
        await using (var db = host.NewDbContext()) (await db.RecordingChunks.CountAsync(c => c.RecordingId == orphan)).ShouldBe(0);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Over_the_plans_minutes_or_storage_finalize_is_refused_with_an_upgrade_link_and_the_chunks_stay(string provider)
    {
        var plans = new Dictionary<string, string?>(PodcastTestKit.Settings)
        {
            ["Kiln:Billing:Plans:0:Id"] = "free", ["Kiln:Billing:Plans:0:RecordingMinutesPerMonth"] = "1",
            ["Kiln:Billing:Plans:1:Id"] = "small", ["Kiln:Billing:Plans:1:RecordingMinutesPerMonth"] = "0", ["Kiln:Billing:Plans:1:MaxStorageBytes"] = "20000",
            ["Kiln:Billing:Plans:2:Id"] = "pro", ["Kiln:Billing:Plans:2:RecordingMinutesPerMonth"] = "0", ["Kiln:Billing:Plans:2:MaxStorageBytes"] = "0",
        };
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, plans, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var (showId, episodeId) = await ShowAndEpisode(user.Client);
        // 55 s already recorded this month; last month's hour does not count.
        await using (var db = host.NewDbContext())
        {
            var now = DateTime.UtcNow;
            db.Recordings.Add(Finalized(user, showId, episodeId, 55, now));
            db.Recordings.Add(Finalized(user, showId, episodeId, 3600, new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(-2)));
            await db.SaveChangesAsync();
        }
        var id = (await (await user.Client.PostAsJsonAsync("/api/recordings", new { episodeId })).Json(HttpStatusCode.Created)).Id();
        var chunks = PodcastTestKit.Split(PodcastTestKit.Webm(8), 2);
        for (var i = 0; i < chunks.Count; i++) await (await user.Client.PutChunk(id, i, chunks[i])).Json(HttpStatusCode.OK);

        var minutes = await (await user.Client.PostAsync($"/api/recordings/{id}/finalize", null)).Problem(HttpStatusCode.Forbidden, "plan_recording_minutes");
        minutes.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        minutes.GetProperty("limitMinutes").GetInt32().ShouldBe(1);
        minutes.GetProperty("title").GetString()!.ShouldContain("The recording is kept");
        (await (await user.Client.GetAsync($"/api/recordings/{id}")).Json(HttpStatusCode.OK)).GetProperty("chunks").GetArrayLength().ShouldBe(2);

        await host.SetPlan(user, "small");
        var storage = await (await user.Client.PostAsync($"/api/recordings/{id}/finalize", null)).Problem(HttpStatusCode.Forbidden, "plan_storage_limit");
        storage.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        (await (await user.Client.GetAsync($"/api/recordings/{id}")).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("open");

        await host.SetPlan(user, "pro");
        var done = await (await user.Client.PostAsync($"/api/recordings/{id}/finalize", null)).Json(HttpStatusCode.OK);
        done.GetProperty("durationSeconds").GetDouble().ShouldBe(8, 0.3);
        await using (var db = host.NewDbContext())
            (await db.Recordings.Where(r => r.WorkspaceId == user.WorkspaceId && r.Status == RecordingStatus.Finalized).CountAsync()).ShouldBe(3);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Plans_without_ai_show_notes_run_the_episode_job_with_the_extractive_engine(string provider)
    {
        // The real podcast-episode pipeline (no worker: only the job as created matters here).
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, PodcastTestKit.Settings);
        var user = await host.SignUpAsync();
        var show = (await user.Client.CreateShow("Plans " + Guid.NewGuid().ToString("N")[..6])).Id();
        async Task<string> JobOptions()
        {
            var upload = await user.Client.UploadReadyAsync("take.mp3", PodcastTestKit.Mp3());
            var episode = await (await user.Client.PostAsJsonAsync($"/api/shows/{show}/episodes", new { title = "Take", uploadId = upload })).Json(HttpStatusCode.Created);
            var jobId = Guid.Parse(episode.GetProperty("jobId").GetString()!);
            await using var db = host.NewDbContext();
            return (await db.Jobs.SingleAsync(j => j.Id == jobId)).OptionsJson;
        }

        (await JobOptions()).ShouldContain("\"engine\":\"extractive\"", customMessage: "Free has no ai-show-notes");
        await host.SetPlan(user, "creator");
        (await JobOptions()).ShouldNotContain("\"engine\":", customMessage: "Creator's notes come from the configured AI provider");
    }

    private static Recording Finalized(TestUser user, Guid showId, Guid episodeId, double seconds, DateTime at) => new()
    {
        Id = Guid.NewGuid(), WorkspaceId = user.WorkspaceId, ShowId = showId, EpisodeId = episodeId, ContentType = "audio/webm", Status = RecordingStatus.Finalized,
        DurationSeconds = seconds, CreatedAt = at, UpdatedAt = at, FinalizedAt = at,
    };

    private static async Task<(Guid Show, Guid Episode)> ShowAndEpisode(HttpClient c, Guid? showId = null)
    {
        var show = showId ?? (await c.CreateShow("Recorded " + Guid.NewGuid().ToString("N")[..6])).Id();
        var episode = await (await c.PostAsJsonAsync($"/api/shows/{show}/episodes", new { title = "Take" })).Json(HttpStatusCode.Created);
        return (show, episode.Id());
    }

    /// <summary>The bytes of a chunk up to its first Cluster element: the WebM header without any audio.</summary>
    private static byte[] HeaderOnly(byte[] chunk)
    {
        ReadOnlySpan<byte> cluster = [0x1F, 0x43, 0xB6, 0x75];
        var at = chunk.AsSpan().IndexOf(cluster);
        at.ShouldBeGreaterThan(0);
        return chunk[..at];
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Jobs;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// <c>GET /api/jobs/{id}</c> answers from the web process's memory (<see cref="JobStatusCache"/>): the job's events —
/// committed here, heard through LISTEN/NOTIFY, or found by the safety poll on SQLite — drop the copy, a change nobody
/// announced shows within <c>Kiln:Jobs:StatusCacheSeconds</c>, and the copy never answers another workspace.
/// Changes "nobody announced" are made straight in the database, as another process would.
/// </summary>
public sealed class JobStatusCacheTests(PostgresServer pg)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30); // the windows are ≤ 1 s; the margin is for a starved CI machine

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_polled_job_is_answered_from_memory_until_its_next_event_and_never_to_another_workspace(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Jobs:StatusCacheSeconds"] = "3600", // only events refresh the copy
            ["Kiln:Events:SafetyPollSeconds"] = "0.3",
        });
        var ct = TestContext.Current.CancellationToken;
        var owner = await host.SignUpAsync();
        var script = await KeyClientAsync(host, owner);
        var stranger = await host.SignUpAsync();
        var strangerScript = await KeyClientAsync(host, stranger);
        var job = (await (await script.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();

        (await Status(script, job)).GetProperty("status").GetString().ShouldBe("queued");
        await (await strangerScript.GetAsync($"/api/jobs/{job}", ct)).Problem(HttpStatusCode.NotFound, "not_found");
        await (await stranger.Client.GetAsync($"/api/jobs/{job}", ct)).Problem(HttpStatusCode.NotFound, "not_found");
        (await Status(owner.Client, job)).GetProperty("status").GetString().ShouldBe("queued");

        // Changed behind the process's back, with no event: the copy stands (the window is an hour). The notice of the
        // job's creation (NOTIFY, the safety poll) or the LISTEN connection opening may still drop a copy filled just
        // before it, so fill again and retry; only events drop copies, so one of the first attempts shows the old value.
        var stale = false;
        string? written = null;
        for (var attempt = 1; attempt <= 10 && !stale; attempt++)
        {
            var before = (await Status(script, job)).GetProperty("message");
            written = $"changed elsewhere {attempt}";
            await using (var db = host.NewDbContext())
                await db.Jobs.IgnoreQueryFilters().Where(j => j.Id == job).ExecuteUpdateAsync(s => s.SetProperty(j => j.ProgressMessage, written), ct);
            var after = (await Status(script, job)).GetProperty("message");
            stale = after.ValueKind == before.ValueKind && after.ToString() == before.ToString();
            if (!stale) await Task.Delay(300, ct);
        }
        stale.ShouldBeTrue("a cached status must stand until the job's next event");
        await (await strangerScript.GetAsync($"/api/jobs/{job}", ct)).Problem(HttpStatusCode.NotFound, "not_found");

        // Another process appends the job's event: the live channel hears of it and the next read is fresh.
        await using (var db = host.NewDbContext())
        {
            db.JobEvents.Add(new JobEvent { JobId = job, WorkspaceId = owner.WorkspaceId, Type = JobEventTypes.Log, DataJson = "{\"line\":\"elsewhere\"}", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync(ct);
        }
        (await Until(script, job, j => j.GetProperty("message").GetString() == written)).ShouldBeTrue();

        // A cancel through the API is visible to the very next read; a retry is a new job, the original stays canceled.
        (await (await script.PostAsync($"/api/jobs/{job}/cancel", null, ct)).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("canceled");
        (await Status(script, job)).GetProperty("status").GetString().ShouldBe("canceled");
        (await Status(owner.Client, job)).GetProperty("status").GetString().ShouldBe("canceled");
        var retried = (await (await script.PostAsync($"/api/jobs/{job}/retry", null, ct)).Json(HttpStatusCode.Created)).Id();
        (await Status(script, retried)).GetProperty("status").GetString().ShouldBe("queued");
        (await Status(script, job)).GetProperty("status").GetString().ShouldBe("canceled");
        await (await strangerScript.GetAsync($"/api/jobs/{retried}", ct)).Problem(HttpStatusCode.NotFound, "not_found");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_worker_in_another_process_finishing_the_job_reaches_the_poller_through_the_live_channel(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Jobs:StatusCacheSeconds"] = "3600",
            // PostgreSQL: only NOTIFY can bring the news (the safety poll is out of the way); SQLite has no NOTIFY, so
            // its safety poll is how a web process hears another process's events.
            ["Kiln:Events:SafetyPollSeconds"] = provider == "postgres" ? "3600" : "0.3",
        });
        var owner = await host.SignUpAsync();
        var script = await KeyClientAsync(host, owner);
        var job = (await (await script.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        (await Status(script, job)).GetProperty("status").GetString().ShouldBe("queued");

        await using var worker = WorkerProcess.Start(host.Database, null, host.BlobPath, "status-cache-worker");
        (await Until(script, job, j => j.GetProperty("status").GetString() == "succeeded")).ShouldBeTrue(worker.Output);
        (await Status(script, job)).GetProperty("progress").GetInt32().ShouldBe(100);
    }

    [Theory]
    [InlineData("sqlite", 0), InlineData("postgres", 0), InlineData("sqlite", 1), InlineData("postgres", 1)]
    public async Task A_change_nobody_announced_shows_within_the_window_and_at_once_with_the_cache_off(string provider, int seconds)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Jobs:StatusCacheSeconds"] = seconds.ToString(CultureInfo.InvariantCulture),
        });
        var ct = TestContext.Current.CancellationToken;
        var owner = await host.SignUpAsync();
        var script = await KeyClientAsync(host, owner);
        var job = (await (await script.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        (await Status(script, job)).GetProperty("progress").GetInt32().ShouldBe(0);

        await using (var db = host.NewDbContext())
            await db.Jobs.IgnoreQueryFilters().Where(j => j.Id == job).ExecuteUpdateAsync(s => s.SetProperty(j => j.ProgressPercent, 42), ct);
        if (seconds == 0) (await Status(script, job)).GetProperty("progress").GetInt32().ShouldBe(42);
        else (await Until(script, job, j => j.GetProperty("progress").GetInt32() == 42)).ShouldBeTrue();
    }

    private static async Task<HttpClient> KeyClientAsync(KilnTestHost host, TestUser owner)
    {
        var created = await (await owner.Client.PostAsJsonAsync("/api/api-keys", new { name = "poller" })).Json(HttpStatusCode.Created);
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.GetProperty("key").GetString()!);
        return client;
    }

    private static async Task<JsonElement> Status(HttpClient client, Guid job) =>
        await (await client.GetAsync($"/api/jobs/{job}", TestContext.Current.CancellationToken)).Json(HttpStatusCode.OK);

    private static async Task<bool> Until(HttpClient client, Guid job, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (done(await Status(client, job))) return true;
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        return false;
    }
}

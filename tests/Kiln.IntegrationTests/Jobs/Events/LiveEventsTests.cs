using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kiln.Core.Credits;
using Kiln.Core.Jobs.Events;
using Kiln.IntegrationTests.Infrastructure;
using Kiln.IntegrationTests.Operations;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Kiln.IntegrationTests.Jobs.Events;

/// <summary>
/// GET /api/events and the job stream, on the real host. The per-process safety poll is pushed out to 10 minutes, so
/// everything that arrives within these tests' timeouts was delivered by a notice (NOTIFY or SQLite's commit hook).
/// </summary>
public sealed class LiveEventsTests(PostgresServer pg)
{
    private static readonly Dictionary<string, string?> NoSafetyPoll = new(MetricsTests.ScrapeToken)
    {
        ["Kiln:Events:SafetyPollSeconds"] = "600",
    };
    private static readonly string[] JobTypes = ["job.queued", "job.progress", "job.succeeded", "job.failed", "job.canceled"];

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_workspace_stream_carries_a_jobs_life_in_order_and_every_new_balance(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: NoSafetyPoll);
        var user = await host.SignUpAsync();
        await using var stream = await SseStream.OpenAsync(user.Client, "/api/events");
        var first = await stream.WaitForAsync(m => m.Type == "credits.changed");
        first.Id.ShouldBeNull(); // state, not history: it must not move Last-Event-ID
        first.Json.GetProperty("available").GetInt64().ShouldBe(25);

        var job = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        var done = await stream.WaitForAsync(m => m.Type == "job.succeeded");
        var finished = await user.Client.WaitForJob(job, "succeeded");
        var cost = finished.GetProperty("costActual").GetInt64();

        var events = stream.Received.Where(m => JobTypes.Contains(m.Type)).ToList();
        events[0].Type.ShouldBe("job.queued");
        events[0].Json.GetProperty("pipeline").GetString().ShouldBe("sleep");
        events.ShouldContain(m => m.Type == "job.progress" && m.Json.GetProperty("status").GetString() == "running");
        events[^1].ShouldBe(done);
        done.Json.GetProperty("percent").GetInt32().ShouldBe(100);
        events.ShouldAllBe(m => m.Json.GetProperty("jobId").GetGuid() == job);
        var ids = events.Select(m => m.IdNumber).ToList();
        ids.ShouldBe(ids.Order().Distinct().ToList());
        stream.Received.ShouldNotContain(m => m.Type == "log" || m.Type == "artifact" || m.Type == "status" || m.Type == "progress");

        // The hold, then the capture: the balance the stream reports follows the ledger.
        await stream.UntilAsync(r => r.Any(m => m.Type == "credits.changed" && m.Json.GetProperty("held").GetInt64() == 0
            && m.Json.GetProperty("available").GetInt64() == 25 - cost));
        if (cost > 0) stream.Received.ShouldContain(m => m.Type == "credits.changed" && m.Json.GetProperty("held").GetInt64() > 0);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_dropped_stream_resumes_after_its_last_event_id_without_gaps_or_repeats(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: NoSafetyPoll);
        var user = await host.SignUpAsync();
        var job = Guid.Empty;
        long seen;
        await using (var stream = await SseStream.OpenAsync(user.Client, "/api/events"))
        {
            job = (await (await user.Client.CreateJob("sleep", new { seconds = 2 })).Json(HttpStatusCode.Created)).Id();
            seen = (await stream.WaitForAsync(m => m.Type == "job.progress")).IdNumber;
        } // the connection drops mid-job
        await user.Client.WaitForJob(job, "succeeded");

        await using var resumed = await SseStream.OpenAsync(user.Client, "/api/events", lastEventId: seen.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await resumed.WaitForAsync(m => m.Type == "job.succeeded");
        var after = resumed.Received.Where(m => m.Id is not null).Select(m => m.IdNumber).ToList();
        after.ShouldAllBe(id => id > seen);
        after.ShouldBe(after.Order().Distinct().ToList());
        resumed.Received.ShouldNotContain(m => m.Type == "job.queued");

        // The same as the whole history read from the start (Last-Event-ID 0), cut at the resume point.
        await using var history = await SseStream.OpenAsync(user.Client, "/api/events?after=0");
        await history.WaitForAsync(m => m.Type == "job.succeeded");
        history.Received.Where(m => m.Id is not null && m.IdNumber > seen).Select(m => m.IdNumber).ShouldBe(after);
        history.Received.First(m => m.Id is not null).Type.ShouldBe("job.queued");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Another_workspaces_jobs_and_credits_never_appear_on_the_stream(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: NoSafetyPoll);
        var alice = await host.SignUpAsync();
        var bob = await host.SignUpAsync();
        // Alice listens with an API key, Bob with the browser's cookie.
        var key = (await (await alice.Client.PostAsJsonAsync("/api/api-keys", new { name = "live" })).Json(HttpStatusCode.Created)).GetProperty("key").GetString()!;
        var aliceKey = host.CreateClient();
        aliceKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var bobCookie = await PageClient.SignInAsync(host, bob.Email);

        await using var aliceStream = await SseStream.OpenAsync(aliceKey, "/api/events");
        await using var bobStream = await SseStream.OpenAsync(bobCookie.Client, "/api/events");
        var bobJob = (await (await bob.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        var bobFail = (await (await bob.Client.CreateJob("fail")).Json(HttpStatusCode.Created)).Id();
        await bobStream.UntilAsync(r => r.Any(m => m.Type == "job.succeeded") && r.Any(m => m.Type == "job.failed"));
        var aliceJob = (await (await alice.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        await aliceStream.WaitForAsync(m => m.Type == "job.succeeded");

        var aliceJobs = aliceStream.Received.Where(m => JobTypes.Contains(m.Type)).Select(m => m.Json.GetProperty("jobId").GetGuid()).Distinct().ToList();
        aliceJobs.ShouldBe([aliceJob]);
        bobStream.Received.Where(m => JobTypes.Contains(m.Type)).Select(m => m.Json.GetProperty("jobId").GetGuid()).Distinct().Order()
            .ShouldBe(new[] { bobJob, bobFail }.Order());
        var bobBalances = bobStream.Received.Where(m => m.Type == "credits.changed").Select(m => m.Json.GetProperty("available").GetInt64()).ToList();
        aliceStream.Received.Where(m => m.Type == "credits.changed").Select(m => m.Json.GetProperty("available").GetInt64()).ShouldAllBe(a => a <= 25);
        bobBalances.ShouldNotBeEmpty();

        // Replaying the whole log (after=0) is still only the caller's own.
        await using var replay = await SseStream.OpenAsync(aliceKey, "/api/events?after=0");
        await replay.WaitForAsync(m => m.Type == "job.succeeded");
        // Whatever the replay still sends (a balance after the last job event, under load) is collected and checked too.
        await replay.DrainAsync(TimeSpan.FromMilliseconds(500));
        replay.Received.Where(m => m.Type == "credits.changed").ShouldAllBe(m => m.Json.GetProperty("available").GetInt64() <= 25);
        replay.Received.Where(m => JobTypes.Contains(m.Type)).ShouldAllBe(m => m.Json.GetProperty("jobId").GetGuid() == aliceJob);

        // A foreign job's own stream is a 404.
        (await aliceKey.GetAsync($"/api/jobs/{bobJob}/events")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await host.CreateClient().GetAsync("/api/events")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_workspaces_streams_share_one_read_per_wake_up_instead_of_one_each(string provider)
    {
        var reads = new WorkspaceReadCounter();
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: NoSafetyPoll, services: s => s.AddSingleton<IInterceptor>(reads));
        var user = await host.SignUpAsync();
        const int Tabs = 12;
        var streams = new List<SseStream>();
        try
        {
            for (var i = 0; i < Tabs; i++) streams.Add(await SseStream.OpenAsync(user.Client, "/api/events"));
            foreach (var s in streams) await s.WaitForAsync(m => m.Type == "credits.changed");
            // A probe on the same topic counts the wake-ups the streams see.
            using var probe = host.Services.GetRequiredService<EventHub>().Subscribe(user.WorkspaceId);
            var (wakeUps, creditChanges) = (probe.Version, probe.CreditsVersion);
            reads.Reset();

            var job = (await (await user.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
            foreach (var s in streams) await s.WaitForAsync(m => m.Type == "job.succeeded" && m.Json.GetProperty("jobId").GetGuid() == job);
            foreach (var s in streams) await s.UntilAsync(r => r.Count(m => m.Type == "credits.changed") >= 2);

            // Each stream used to read the log (and the balance) on every wake-up: Tabs times the wake-ups. Shared, at most one each.
            var woken = probe.Version - wakeUps;
            woken.ShouldBeGreaterThan(0);
            reads.Events.ShouldBeLessThanOrEqualTo(woken, $"{reads.Events} event-log reads for {woken} wake-ups of {Tabs} streams");
            // Balance reads (the hold and the capture each changed it) include the job's own, never one per stream per change.
            // The two notices may arrive as one wake-up: on PostgreSQL they are sent after the commits, coalesced per workspace.
            (probe.CreditsVersion - creditChanges).ShouldBeGreaterThanOrEqualTo(1);
            reads.Balances.ShouldBeLessThan(Tabs, $"{reads.Balances} balance reads for {probe.CreditsVersion - creditChanges} credit changes of {Tabs} streams");
            // Every stream still got every event, in order.
            var expected = streams[0].Received.Where(m => m.Id is not null).Select(m => m.IdNumber).ToList();
            expected.ShouldBe(expected.Order().Distinct().ToList());
            foreach (var s in streams) s.Received.Where(m => m.Id is not null).Select(m => m.IdNumber).ShouldBe(expected);
        }
        finally
        {
            foreach (var s in streams) await s.DisposeAsync();
        }
    }

    /// <summary>Counts the live channel's reads: the workspace event-log query (job_events joined to jobs) and balance reads.</summary>
    private sealed class WorkspaceReadCounter : DbCommandInterceptor
    {
        private long _events, _balances;
        public long Events => Interlocked.Read(ref _events);
        public long Balances => Interlocked.Read(ref _balances);
        public void Reset() { Interlocked.Exchange(ref _events, 0); Interlocked.Exchange(ref _balances, 0); }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            var sql = command.CommandText;
            if (sql.Contains("job_events", StringComparison.Ordinal) && sql.Contains("JOIN", StringComparison.Ordinal)) Interlocked.Increment(ref _events);
            if (sql.Contains("credit_accounts", StringComparison.Ordinal) && !sql.Contains("UPDATE", StringComparison.Ordinal)) Interlocked.Increment(ref _balances);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }

    [Fact]
    public async Task A_job_finished_by_a_worker_process_reaches_the_web_process_by_notify_not_by_polling()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false, overrides: NoSafetyPoll);
        var user = await host.SignUpAsync();
        await using var worker = WorkerProcess.Start(host.Database, null, host.BlobPath, "events-worker");
        await using var stream = await SseStream.OpenAsync(user.Client, "/api/events");
        var job = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        await using var jobStream = await SseStream.OpenAsync(user.Client, $"/api/jobs/{job}/events");
        var done = await stream.WaitForAsync(m => m.Type == "job.succeeded", TimeSpan.FromSeconds(60));
        done.Json.GetProperty("jobId").GetGuid().ShouldBe(job);
        // Written by the worker (its clock is this machine's), heard here well within the 600 s safety poll.
        var written = done.Json.GetProperty("at").GetDateTime().ToUniversalTime();
        (done.ReceivedUtc - written).ShouldBeLessThan(TimeSpan.FromSeconds(2), worker.Output);
        (await jobStream.WaitForAsync(m => m.Type == "end")).Type.ShouldBe("end");
        jobStream.Received.ShouldContain(m => m.Type == "artifact");
    }

    [Fact]
    public async Task The_listener_reconnects_after_its_backend_is_killed_and_misses_nothing()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, overrides: NoSafetyPoll);
        var listener = host.Services.GetServices<IHostedService>().OfType<PostgresEventListener>().Single();
        var user = await host.SignUpAsync();
        await using var stream = await SseStream.OpenAsync(user.Client, "/api/events");
        await Eventually(() => listener.Connections >= 1);

        await using (var conn = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await conn.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @app AND datname = current_database()", conn);
            kill.Parameters.AddWithValue("app", PostgresEventListener.ApplicationName);
            ((long)(await kill.ExecuteScalarAsync())!).ShouldBe(1);
        }
        // Written while the listener may still be down: the reconnect's wake-up makes the stream read it anyway.
        var during = (await (await user.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        await Eventually(() => listener.Connections >= 2);
        var after = (await (await user.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        await stream.UntilAsync(r => new[] { during, after }.All(j =>
            r.Any(m => m.Type == "job.succeeded" && m.Json.GetProperty("jobId").GetGuid() == j)));
        host.Services.GetRequiredService<EventHub>().Subscribers.ShouldBe(1);
        var metrics = PrometheusText.Parse(await MetricsTests.Scraper(host).GetStringAsync("/metrics"));
        metrics.Value("kiln_event_streams").ShouldBe(1);
        metrics.Value("kiln_event_listener_connections_total").ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task A_write_no_notice_reported_reaches_the_stream_through_the_per_process_safety_poll()
    {
        // The CLI granting credits to the SQLite file of a running web host: another process, so no commit hook saw it.
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false,
            overrides: new Dictionary<string, string?> { ["Kiln:Events:SafetyPollSeconds"] = "0.5" });
        var user = await host.SignUpAsync();
        await using var stream = await SseStream.OpenAsync(user.Client, "/api/events");
        await stream.WaitForAsync(m => m.Type == "credits.changed");
        await using (var db = host.NewDbContext())
        {
            var posted = await new CreditsLedger(db, TimeProvider.System).PostAsync(user.WorkspaceId, LedgerEntryKind.Grant, 7, $"test:{Guid.NewGuid()}", "gift", null, CancellationToken.None);
            posted.IsSuccess.ShouldBeTrue();
        }
        var changed = await stream.WaitForAsync(m => m.Type == "credits.changed", TimeSpan.FromSeconds(10));
        changed.Json.GetProperty("available").GetInt64().ShouldBe(32);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(50);
        }
    }
}

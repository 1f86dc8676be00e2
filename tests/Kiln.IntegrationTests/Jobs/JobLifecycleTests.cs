using System.Net;
using Kiln.Core.Credits;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Jobs;

public sealed class JobLifecycleTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Successful_job_captures_actual_cost_and_releases_the_rest(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);

        var created = await (await user.Client.CreateJob("sleep", new { seconds = 1, cost = 5, actualCost = 3 })).Json(HttpStatusCode.Created);
        created.GetProperty("costEstimate").GetInt64().ShouldBe(5);
        var job = await user.Client.WaitForJob(created.Id(), "succeeded", "failed");
        job.GetProperty("status").GetString().ShouldBe("succeeded");
        job.GetProperty("costActual").GetInt64().ShouldBe(3);
        job.GetProperty("progress").GetInt32().ShouldBe(100);

        var balance = await user.Client.Balance();
        balance.GetProperty("balance").GetInt64().ShouldBe(22);
        balance.GetProperty("held").GetInt64().ShouldBe(0);
        var artifacts = await (await user.Client.GetAsync($"/api/jobs/{created.Id()}/artifacts")).Json(HttpStatusCode.OK);
        artifacts.GetArrayLength().ShouldBe(1);
        var download = await user.Client.GetAsync(artifacts[0].GetProperty("downloadUrl").GetString());
        (await download.Content.ReadAsStringAsync()).ShouldBe("slept 1 s\n");

        await using var db = host.NewDbContext();
        var kinds = await db.LedgerEntries.Where(e => e.JobId == created.Id()).Select(e => e.Kind).ToListAsync();
        kinds.OrderBy(k => k).ShouldBe([LedgerEntryKind.Hold, LedgerEntryKind.Capture, LedgerEntryKind.Release]);
        await DbAssertions.LedgerBalances(db);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Parallel_creations_never_overdraw(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        // Top the balance up from 25 to exactly 50.
        await using (var db = host.NewDbContext())
            (await new CreditsLedger(db, TimeProvider.System).PostAsync(user.WorkspaceId, LedgerEntryKind.Adjustment, 25, "test:topup", "test", null, default)).IsSuccess.ShouldBeTrue();

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => user.Client.CreateJob("noop", new { cost = 1 })));
        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(50);
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        refused.Count.ShouldBe(150);
        foreach (var r in refused.Take(3)) await r.Problem(HttpStatusCode.PaymentRequired, "insufficient_credits");

        await using var check = host.NewDbContext();
        (await check.Jobs.CountAsync()).ShouldBe(50);
        (await check.CreditHolds.CountAsync()).ShouldBe(50);
        var account = await check.CreditAccounts.SingleAsync(a => a.WorkspaceId == user.WorkspaceId);
        account.Posted.ShouldBe(50);
        account.Held.ShouldBe(50);
        await DbAssertions.LedgerBalances(check);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Idempotency_key_returns_the_same_job(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var first = await (await user.Client.CreateJob("noop", idempotencyKey: "abc")).Json(HttpStatusCode.Created);
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => user.Client.CreateJob("noop", idempotencyKey: "abc")));
        foreach (var r in responses) (await r.Json(HttpStatusCode.OK)).Id().ShouldBe(first.Id());
        (await user.Client.Balance()).GetProperty("held").GetInt64().ShouldBe(1);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Failing_pipeline_fails_the_job_with_a_readable_message_and_releases_the_hold(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        var created = await (await user.Client.CreateJob("fail", new { cost = 4 })).Json(HttpStatusCode.Created);
        var job = await user.Client.WaitForJob(created.Id(), "failed", "succeeded");
        job.GetProperty("status").GetString().ShouldBe("failed");
        job.GetProperty("errorCode").GetString().ShouldBe("step_failed");
        job.GetProperty("errorMessage").GetString()!.ShouldContain("'working' step failed");
        var balance = await user.Client.Balance();
        balance.GetProperty("available").GetInt64().ShouldBe(25);
        balance.GetProperty("held").GetInt64().ShouldBe(0);
        await using var db = host.NewDbContext();
        await DbAssertions.LedgerBalances(db);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_canceled_job_runs_again_as_a_new_job_once_per_request(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var admin = await host.SignUpAsync(admin: true);
        var original = (await (await user.Client.CreateJob("noop", new { cost = 2 })).Json(HttpStatusCode.Created)).Id();
        await (await user.Client.PostAsync($"/api/jobs/{original}/retry", null)).Problem(HttpStatusCode.Conflict, "job_not_retryable");
        await (await user.Client.PostAsync($"/api/jobs/{original}/cancel", null)).Json(HttpStatusCode.OK);

        var retried = await user.Client.PostAsync($"/api/jobs/{original}/retry", null);
        retried.StatusCode.ShouldBe(HttpStatusCode.Created, string.Join('\n', host.Errors.Entries));
        var again = await retried.Json(HttpStatusCode.Created);
        again.Id().ShouldNotBe(original);
        again.GetProperty("options").GetProperty("cost").GetInt32().ShouldBe(2);
        // The operator's retry of the same job is the same request: no second job, no second hold.
        (await (await admin.Client.PostAsync($"/api/admin/jobs/{original}/retry", null)).Json(HttpStatusCode.Created)).Id().ShouldBe(again.Id());
        (await admin.Client.PostAsync($"/api/jobs/{original}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var balance = await user.Client.Balance();
        balance.GetProperty("held").GetInt64().ShouldBe(2);
        balance.GetProperty("available").GetInt64().ShouldBe(23);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Transient_failures_retry_until_attempts_run_out(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        var created = await (await user.Client.CreateJob("fail", new { transient = true })).Json(HttpStatusCode.Created);
        var job = await user.Client.WaitForJob(created.Id(), "failed", "succeeded");
        job.GetProperty("attempt").GetInt32().ShouldBe(3);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Cancel_queued_and_running_jobs_releases_holds_and_kills_the_child(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        // The workspace cap of 1 keeps the second job queued while the first runs.
        await using (var db = host.NewDbContext())
            await db.Workspaces.Where(w => w.Id == user.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.MaxConcurrentJobs, 1));
        var running = await (await user.Client.CreateJob("sleep", new { seconds = 60, cost = 3 })).Json(HttpStatusCode.Created);
        var queued = await (await user.Client.CreateJob("sleep", new { seconds = 60, cost = 4 })).Json(HttpStatusCode.Created);
        await user.Client.WaitForJob(running.Id(), "running");
        var pid = await ChildPid(host, running.Id());

        (await (await user.Client.PostAsync($"/api/jobs/{queued.Id()}/cancel", null)).Json(HttpStatusCode.OK))
            .GetProperty("status").GetString().ShouldBe("canceled");
        await (await user.Client.PostAsync($"/api/jobs/{running.Id()}/cancel", null)).Json(HttpStatusCode.OK);
        var started = DateTime.UtcNow;
        (await user.Client.WaitForJob(running.Id(), "canceled", "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("canceled");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(15));

        (await ProcessGoneAsync(pid)).ShouldBeTrue($"child process {pid} survived the cancel");
        var balance = await user.Client.Balance();
        balance.GetProperty("available").GetInt64().ShouldBe(25);
        balance.GetProperty("held").GetInt64().ShouldBe(0);
        (await user.Client.PostAsync($"/api/jobs/{running.Id()}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await using var check = host.NewDbContext();
        await DbAssertions.LedgerBalances(check);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_job_over_its_pipeline_timeout_is_stopped_and_fails(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: new Dictionary<string, string?> { ["Kiln:Pipelines:TimeoutSeconds:sleep"] = "2" });
        var user = await host.SignUpAsync();
        var created = await (await user.Client.CreateJob("sleep", new { seconds = 60, cost = 3 })).Json(HttpStatusCode.Created);
        await user.Client.WaitForJob(created.Id(), "running");
        var pid = await ChildPid(host, created.Id());
        var job = await user.Client.WaitForJob(created.Id(), "failed", "succeeded");
        job.GetProperty("errorCode").GetString().ShouldBe("timeout");
        job.GetProperty("errorMessage").GetString()!.ShouldContain("2 s");
        (await ProcessGoneAsync(pid)).ShouldBeTrue($"child process {pid} survived the failure");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
    }

    internal static async Task<int> ChildPid(KilnTestHost host, Guid jobId)
    {
        for (var i = 0; i < 100; i++)
        {
            await using var db = host.NewDbContext();
            var line = await db.JobEvents.Where(e => e.JobId == jobId && e.Type == "log").Select(e => e.DataJson).FirstOrDefaultAsync();
            var m = line is null ? null : System.Text.RegularExpressions.Regex.Match(line, @"child process (\d+) started");
            if (m is { Success: true }) return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            await Task.Delay(100);
        }
        throw new TimeoutException("The sleep pipeline never logged its child process.");
    }

    /// <summary>Polls for up to 5 s: a killed child may sit in /proc a moment before it is reaped.</summary>
    private static async Task<bool> ProcessGoneAsync(int pid)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(5); ProcessExists(pid); await Task.Delay(50))
            if (DateTime.UtcNow > deadline) return false;
        return true;
    }

    internal static bool ProcessExists(int pid)
    {
        // A zombie awaiting its parent's wait() is gone for our purposes; /proc/<pid>/stat shows state Z.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try { return !File.ReadAllText(stat).Contains(") Z ", StringComparison.Ordinal); } catch (IOException) { return false; }
    }
}

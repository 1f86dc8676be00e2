using System.Collections.Concurrent;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// The per-workspace concurrency cap under concurrent PostgreSQL claims: many claimers on their own connections must
/// never start more of a workspace's jobs than its cap, however their statements interleave, and the running counter
/// behind the cap must come back to zero on every way a run ends.
/// </summary>
public sealed class ConcurrencyCapTests(PostgresServer pg)
{
    private const int Cap = 2;

    [Fact]
    public async Task Concurrent_claimers_never_run_more_than_the_cap_and_every_job_runs_once()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        var user = await host.SignUpAsync();
        var ws = user.WorkspaceId;
        await SetCapAsync(host, ws, Cap);
        var ids = await EnqueueAsync(host, ws, 50);
        // Another workspace far below its cap: its claims must not be held back by the capped one.
        var other = await host.SignUpAsync();
        await SetCapAsync(host, other.WorkspaceId, 100);
        var otherIds = await EnqueueAsync(host, other.WorkspaceId, 20);

        // 1. Claim storms: 16 claimers released at the same instant into an idle workspace. Counting running jobs in
        // each claim's snapshot lets every one of them start a job here (all see 0 running).
        for (var round = 0; round < 3; round++)
        {
            var scopes = Enumerable.Range(0, 16).Select(_ => host.Services.CreateAsyncScope()).ToList();
            foreach (var sc in scopes) await sc.ServiceProvider.GetRequiredService<Kiln.Core.Data.KilnDbContext>().Database.OpenConnectionAsync();
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var storm = scopes.Select((sc, i) => Task.Run(async () =>
            {
                await go.Task;
                return await sc.ServiceProvider.GetRequiredService<JobQueue>().ClaimAsync($"storm-{round}-{i}", 1, default);
            })).ToList();
            go.SetResult();
            var claimed = await Task.WhenAll(storm);
            foreach (var sc in scopes) await sc.DisposeAsync();
            var mine = claimed.SelectMany(c => c).Where(j => j.WorkspaceId == ws).ToList();
            (await RunningAsync(host, ws)).ShouldBeLessThanOrEqualTo(Cap);
            mine.Count.ShouldBeLessThanOrEqualTo(Cap);
            await using var scope2 = host.Services.CreateAsyncScope();
            var q = scope2.ServiceProvider.GetRequiredService<JobQueue>();
            foreach (var job in claimed.SelectMany(c => c))
                (await q.SucceedAsync(job, job.LeaseToken!.Value, 1, [], default)).ShouldBeTrue();
        }

        // 2. Steady contention: 8 claimers in a loop (claim → short work → complete, or complete-and-claim in one round
        // trip) while a sampler counts the workspace's running jobs in one snapshot after another.
        var maxSeen = 0;
        var runs = new ConcurrentBag<Guid>();
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var sampler = Task.Run(async () =>
        {
            await using var conn = new NpgsqlConnection(host.Database.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM jobs WHERE workspace_id = @ws AND status = 1", conn);
            cmd.Parameters.AddWithValue("ws", ws);
            while (!done.IsCancellationRequested)
            {
                var n = (int)(long)(await cmd.ExecuteScalarAsync())!;
                if (n > maxSeen) maxSeen = n;
            }
        });
        var claimers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            while (!done.IsCancellationRequested)
            {
                var jobs = await queue.ClaimAsync($"loop-{i}", 3, default);
                if (jobs.Count == 0)
                {
                    if (await QueuedOrRunningAsync(host) == 0) return;
                    await Task.Delay(2);
                    continue;
                }
                while (jobs.Count > 0)
                {
                    foreach (var job in jobs) runs.Add(job.Id);
                    await Task.Delay(Random.Shared.Next(1, 6));
                    if (i % 2 == 0)
                    {
                        foreach (var job in jobs)
                            (await queue.SucceedAsync(job, job.LeaseToken!.Value, 1, [], default)).ShouldBeTrue();
                        jobs = [];
                    }
                    else
                    {
                        // Half the claimers refill in the completion's round trip, as the job runner does.
                        var (succeeded, next) = await queue.SucceedManyAndClaimAsync(
                            jobs.Select(j => new JobQueue.Completion(j, j.LeaseToken!.Value, 1, [])).ToList(), $"loop-{i}", jobs.Count, default);
                        succeeded.ShouldAllBe(ok => ok);
                        jobs = next;
                    }
                }
            }
        })).ToList();
        await Task.WhenAll(claimers);
        await done.CancelAsync();
        await sampler;

        maxSeen.ShouldBeLessThanOrEqualTo(Cap);
        await using var db = host.NewDbContext();
        var all = ids.Concat(otherIds).ToList();
        var jobsNow = await db.Jobs.IgnoreQueryFilters().Where(j => all.Contains(j.Id)).ToListAsync();
        jobsNow.Count.ShouldBe(70);
        jobsNow.ShouldAllBe(j => j.Status == JobStatus.Succeeded && j.Attempt == 1);
        (await db.LedgerEntries.IgnoreQueryFilters().CountAsync(e => e.Kind == LedgerEntryKind.Capture && all.Contains(e.JobId!.Value))).ShouldBe(70);
        runs.Distinct().Count().ShouldBe(runs.Count);
        (await CounterAsync(host, ws)).ShouldBe(0);
        (await CounterAsync(host, other.WorkspaceId)).ShouldBe(0);
        await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task The_running_counter_returns_to_zero_after_failures_cancels_hand_backs_rescues_and_lost_leases()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        var user = await host.SignUpAsync();
        var ws = user.WorkspaceId;
        await SetCapAsync(host, ws, Cap);
        await EnqueueAsync(host, ws, 6);
        await using var scope = host.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();

        async Task<List<Job>> ClaimTwo()
        {
            await using (var db = host.NewDbContext())
                await db.Jobs.Where(j => j.Status == JobStatus.Queued).ExecuteUpdateAsync(s => s.SetProperty(j => j.RunAfter, DateTime.UtcNow.AddSeconds(-1)));
            var jobs = await queue.ClaimAsync("w", 10, default);
            jobs.Count.ShouldBe(Cap);
            (await CounterAsync(host, ws)).ShouldBe(Cap);
            (await queue.ClaimAsync("w", 10, default)).ShouldBeEmpty();
            return jobs;
        }

        // A permanent failure and a transient one (back to the queue).
        var a = await ClaimTwo();
        (await queue.FailAsync(a[0], a[0].LeaseToken!.Value, "bad_input", "no", transient: false, default)).ShouldBeTrue();
        (await CounterAsync(host, ws)).ShouldBe(1);
        (await queue.FailAsync(a[1], a[1].LeaseToken!.Value, "flaky", "again", transient: true, default)).ShouldBeTrue();
        (await CounterAsync(host, ws)).ShouldBe(0);

        // A cancel of a running job, and a SIGTERM hand-back.
        var b = await ClaimTwo();
        (await queue.CanceledAsync(b[0], b[0].LeaseToken!.Value, default)).ShouldBeTrue();
        (await queue.HandBackAsync(b[1], b[1].LeaseToken!.Value, default)).ShouldBeTrue();
        (await CounterAsync(host, ws)).ShouldBe(0);

        // Lost workers: the rescuer requeues one; a worker that lost its lease cannot complete and frees nothing.
        var c = await ClaimTwo();
        await ExpireAsync(host, c[0].Id);
        (await queue.RescueExpiredAsync(default)).ShouldBe(1);
        (await CounterAsync(host, ws)).ShouldBe(1);
        (await queue.SucceedAsync(c[0], c[0].LeaseToken!.Value, 1, [], default)).ShouldBeFalse();
        (await queue.FailAsync(c[0], c[0].LeaseToken!.Value, "x", "x", transient: true, default)).ShouldBeFalse();
        (await CounterAsync(host, ws)).ShouldBe(1);
        (await queue.SucceedAsync(c[1], c[1].LeaseToken!.Value, 1, [], default)).ShouldBeTrue();
        (await CounterAsync(host, ws)).ShouldBe(0);

        // Exhausted attempts: the rescuer fails the job and releases its hold.
        var d = await ClaimTwo();
        await using (var db = host.NewDbContext())
            await db.Jobs.Where(j => j.Id == d[0].Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.Attempt, 3).SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        await ExpireAsync(host, d[1].Id);
        (await queue.RescueExpiredAsync(default)).ShouldBe(2);
        (await CounterAsync(host, ws)).ShouldBe(0);

        // Drain the rest through the success path.
        while (await QueuedOrRunningAsync(host) > 0)
        {
            await using (var db = host.NewDbContext())
                await db.Jobs.Where(j => j.Status == JobStatus.Queued).ExecuteUpdateAsync(s => s.SetProperty(j => j.RunAfter, DateTime.UtcNow.AddSeconds(-1)));
            foreach (var job in await queue.ClaimAsync("w", 10, default))
                (await queue.SucceedAsync(job, job.LeaseToken!.Value, 1, [], default)).ShouldBeTrue();
        }
        (await CounterAsync(host, ws)).ShouldBe(0);
        (await queue.RepairRunningCountsAsync(default)).ShouldBe(0);

        // A counter knocked out of line (a manual edit) is found and put right.
        await using (var db = host.NewDbContext())
            await db.WorkspaceRunningJobs.Where(r => r.WorkspaceId == ws).ExecuteUpdateAsync(s => s.SetProperty(r => r.Running, 5));
        (await queue.RepairRunningCountsAsync(default)).ShouldBe(1);
        (await CounterAsync(host, ws)).ShouldBe(0);
        await using (var db = host.NewDbContext()) await DbAssertions.LedgerBalances(db);
    }

    private static async Task SetCapAsync(KilnTestHost host, Guid ws, int cap)
    {
        await using var db = host.NewDbContext();
        await db.Workspaces.Where(w => w.Id == ws).ExecuteUpdateAsync(s => s.SetProperty(w => w.MaxConcurrentJobs, cap));
    }

    private static async Task<List<Guid>> EnqueueAsync(KilnTestHost host, Guid ws, int n)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var ledger = scope.ServiceProvider.GetRequiredService<CreditsLedger>();
        (await ledger.PostAsync(ws, LedgerEntryKind.Grant, 1000, $"test:{Guid.NewGuid():N}", "test", null, default)).IsSuccess.ShouldBeTrue();
        var ids = new List<Guid>();
        for (var i = 0; i < n; i++)
        {
            await using var s = host.Services.CreateAsyncScope();
            var created = await s.ServiceProvider.GetRequiredService<CreateJobCommand>().Run(ws, null, new JobRequest("noop", null, null), null, default);
            created.IsSuccess.ShouldBeTrue(created.Error?.Message);
            ids.Add(created.Value!.Job.Id);
        }
        return ids;
    }

    private static async Task ExpireAsync(KilnTestHost host, Guid id)
    {
        await using var db = host.NewDbContext();
        await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
    }

    private static async Task<int> RunningAsync(KilnTestHost host, Guid ws)
    {
        await using var db = host.NewDbContext();
        return await db.Jobs.IgnoreQueryFilters().CountAsync(j => j.WorkspaceId == ws && j.Status == JobStatus.Running);
    }

    private static async Task<int> QueuedOrRunningAsync(KilnTestHost host)
    {
        await using var db = host.NewDbContext();
        return await db.Jobs.IgnoreQueryFilters().CountAsync(j => j.Status == JobStatus.Queued || j.Status == JobStatus.Running);
    }

    private static async Task<int> CounterAsync(KilnTestHost host, Guid ws)
    {
        await using var db = host.NewDbContext();
        return await db.WorkspaceRunningJobs.Where(r => r.WorkspaceId == ws).Select(r => r.Running).SingleOrDefaultAsync();
    }
}

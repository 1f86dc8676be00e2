using System.Text.Json;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// Credits move by two codes: <see cref="CreditsLedger"/> through EF (every SQLite movement, and PostgreSQL's fail and
/// cancel paths) and the queue's one-statement PostgreSQL SQL composed from <c>LedgerSql</c> (creating a job, completing
/// a batch). The same job scenarios run through each, on one PostgreSQL database with one workspace per path, and must
/// leave the same ledger entries, hold rows, jobs and account — ids and timestamps aside.
/// </summary>
public sealed class LedgerPathsTests(PostgresServer pg)
{
    [Fact]
    public async Task The_EF_ledger_and_the_batched_queue_SQL_leave_the_same_ledger_and_holds()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        var viaEf = await RunScenariosAsync(host, await host.SignUpAsync(), batched: false);
        var viaSql = await RunScenariosAsync(host, await host.SignUpAsync(), batched: true);

        viaSql.Ledger.ShouldBe(viaEf.Ledger);
        viaSql.Holds.ShouldBe(viaEf.Holds);
        viaSql.Jobs.ShouldBe(viaEf.Jobs);
        viaSql.Account.ShouldBe(viaEf.Account);
        viaSql.Refusal.ShouldBe(viaEf.Refusal);

        // Agreeing is not enough: the scenarios captured 3 (A) + 1 (E) + 2 (F, capped at its estimate) of the free grant.
        var grant = host.Services.GetRequiredService<IOptions<Kiln.Core.Accounts.AccountsOptions>>().Value.FreeGrant;
        viaEf.Account.ShouldBe($"posted={grant - 6} held=0");
        viaEf.Ledger.Count(l => l.StartsWith("Hold ", StringComparison.Ordinal)).ShouldBe(8);
        await using var db = host.NewDbContext();
        await DbAssertions.LedgerBalances(db);
    }

    private sealed record Outcome(List<string> Ledger, List<string> Holds, List<string> Jobs, string Account, string Refusal);

    /// <summary>
    /// Create → succeed for less than the estimate; create → fail; create → cancel while queued; create → cancel while
    /// running; a batch of four completions (partial capture, capture capped at the estimate, nothing captured, a free
    /// job) in one call; and a job the workspace cannot afford.
    /// </summary>
    private static async Task<Outcome> RunScenariosAsync(KilnTestHost host, TestUser user, bool batched)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var jobsOptions = sp.GetRequiredService<IOptionsFactory<JobsOptions>>().Create(Options.DefaultName);
        jobsOptions.BatchedLedgerSql = batched;
        var create = ActivatorUtilities.CreateInstance<CreateJobCommand>(sp, Options.Create(jobsOptions));
        var queue = ActivatorUtilities.CreateInstance<JobQueue>(sp, Options.Create(jobsOptions));
        var cancel = sp.GetRequiredService<CancelJobCommand>();
        var ws = user.WorkspaceId;
        var labels = new Dictionary<Guid, string>();

        async Task<Job> Create(string label, long cost)
        {
            var created = await create.Run(ws, user.UserId, Noop(cost), null, default);
            created.Error.ShouldBeNull();
            labels[created.Value!.Job.Id] = label;
            return created.Value.Job;
        }
        async Task<Job[]> Claim(params Job[] jobs)
        {
            var claimed = await queue.ClaimAsync("ledger-paths", jobs.Length, default);
            claimed.Select(j => j.Id).ShouldBe(jobs.Select(j => j.Id), ignoreOrder: true);
            return [.. jobs.Select(j => claimed.Single(c => c.Id == j.Id))];
        }

        var a = (await Claim(await Create("A", 5)))[0];
        (await queue.SucceedAsync(a, a.LeaseToken!.Value, 3, [], default)).ShouldBeTrue();

        var b = (await Claim(await Create("B", 4)))[0];
        (await queue.FailAsync(b, b.LeaseToken!.Value, "broken", "The pipeline failed.", transient: false, default)).ShouldBeTrue();

        var c = await Create("C", 2);
        (await cancel.Run(ws, c.Id, default)).Value!.Status.ShouldBe(JobStatus.Canceled);

        var d = (await Claim(await Create("D", 3)))[0];
        (await cancel.Run(ws, d.Id, default)).Value!.CancelRequested.ShouldBeTrue();
        (await queue.CanceledAsync(d, d.LeaseToken!.Value, default)).ShouldBeTrue();

        var batch = await Claim(await Create("E", 4), await Create("F", 2), await Create("G", 3), await Create("H", 0));
        long[] actual = [1, 9, 0, 0];
        (await queue.SucceedManyAsync([.. batch.Select((j, i) => new JobQueue.Completion(j, j.LeaseToken!.Value, actual[i], []))], default))
            .ShouldAllBe(ok => ok);

        var refused = await create.Run(ws, user.UserId, Noop(1000), null, default);
        var refusal = $"{refused.Error?.Code} {string.Join(' ', refused.Error?.Extensions?.Select(e => $"{e.Key}={e.Value}") ?? [])}";
        refused.Error.ShouldNotBeNull().Code.ShouldBe("insufficient_credits");

        await using var db = host.NewDbContext();
        string Label(Guid? jobId) => jobId is { } id ? labels.GetValueOrDefault(id, "?") : "-";
        string Key(string key) => labels.Aggregate(key.Replace(user.UserId.ToString("N"), "{user}"), (k, l) => k.Replace(l.Key.ToString("N"), l.Value));
        var ledger = await db.LedgerEntries.IgnoreQueryFilters().AsNoTracking().Where(e => e.WorkspaceId == ws).OrderBy(e => e.Id).ToListAsync();
        var holds = await db.CreditHolds.AsNoTracking().Where(h => h.WorkspaceId == ws).ToListAsync();
        var jobs = await db.Jobs.IgnoreQueryFilters().AsNoTracking().Where(j => j.WorkspaceId == ws).ToListAsync();
        var account = await db.CreditAccounts.AsNoTracking().SingleAsync(x => x.WorkspaceId == ws);

        // Each entry's after-balances are the running sums of the deltas up to it (one entry at a time, in order).
        long posted = 0, held = 0;
        foreach (var e in ledger)
        {
            posted += e.PostedDelta;
            held += e.HeldDelta;
            (e.PostedAfter, e.HeldAfter).ShouldBe((posted, held), Key(e.IdempotencyKey));
        }
        return new Outcome(
            [.. ledger.Select(e => $"{e.Kind} posted {e.PostedDelta:+0;-0;0} held {e.HeldDelta:+0;-0;0} → {e.PostedAfter}/{e.HeldAfter} " +
                $"key={Key(e.IdempotencyKey)} job={Label(e.JobId)} reason={e.Reason} actor={(e.ActorUserId == user.UserId ? "{user}" : e.ActorUserId?.ToString())}")],
            [.. holds.Select(h => $"{Label(h.JobId)} amount={h.Amount} {h.Status} captured={h.Captured} resolved={h.ResolvedAt is not null}").Order()],
            [.. jobs.Select(j => $"{Label(j.Id)} {j.Status} estimate={j.CostEstimate} actual={j.CostActual} cancel={j.CancelRequested} " +
                $"error={j.ErrorCode} step={j.ProgressStep} finished={j.FinishedAt is not null} lease={j.LeaseToken is not null}").Order()],
            $"posted={account.Posted} held={account.Held}",
            refusal);
    }

    private static JobRequest Noop(long cost) => new("noop", null, JsonSerializer.SerializeToElement(new { cost }));
}

using System.Net;
using System.Text.Json;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// Job creation on PostgreSQL is group-committed (<see cref="EnqueueBatcher"/>) and wakes workers with a NOTIFY sent
/// after the commit (issue 14). Every rule still holds per request inside a batch, and a worker in another process is
/// woken by that notice, not by its poll.
/// </summary>
public sealed class GroupCommitTests(PostgresServer pg)
{
    [Fact]
    public async Task Creations_waiting_together_commit_in_one_batch_and_each_request_gets_its_own_answer()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        var a = await host.SignUpAsync();
        var b = await host.SignUpAsync();
        var batcher = host.Services.GetRequiredService<EnqueueBatcher>();

        // Hold A's account row from outside: the first creation takes the writer's turn and waits on it, so every
        // creation sent meanwhile queues for the next turn — one batch, deterministically.
        await using var blocker = new NpgsqlConnection(host.Database.ConnectionString);
        await blocker.OpenAsync(TestContext.Current.CancellationToken);
        var lockTx = await blocker.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var lockCmd = new NpgsqlCommand("SELECT 1 FROM credit_accounts WHERE workspace_id = @ws FOR UPDATE", blocker, lockTx))
        {
            lockCmd.Parameters.AddWithValue("ws", a.WorkspaceId);
            (await lockCmd.ExecuteScalarAsync(TestContext.Current.CancellationToken)).ShouldBe(1);
        }
        var first = a.Client.CreateJob("noop", new { cost = 1 });
        await WaitUntilAsync(async () => await LockWaitersAsync(blocker) >= 1, "the first creation waits on the account row");
        var batchesBefore = batcher.Batches;

        var good = Enumerable.Range(0, 10).Select(_ => a.Client.CreateJob("noop", new { cost = 1 })).ToList();
        var sameKey = Enumerable.Range(0, 2).Select(_ => a.Client.CreateJob("noop", new { cost = 1 }, idempotencyKey: "same-request")).ToList();
        var reusedKey = new[] { a.Client.CreateJob("noop", new { cost = 1 }, idempotencyKey: "reused"), a.Client.CreateJob("noop", new { cost = 2 }, idempotencyKey: "reused") };
        var tooDear = a.Client.CreateJob("noop", new { cost = 25 });
        var otherWorkspace = b.Client.CreateJob("noop", new { cost = 3 });
        var otherTooDear = b.Client.CreateJob("noop", new { cost = 30 });
        var invalid = a.Client.CreateJob("noop", new { cost = -1 }); // refused before it reaches the batcher
        await (await invalid).Problem(HttpStatusCode.UnprocessableEntity, "invalid_options");
        await WaitUntilAsync(() => Task.FromResult(batcher.Waiting == 17), "17 creations wait for the next turn");

        await lockTx.RollbackAsync(TestContext.Current.CancellationToken);
        (await (await first).Json(HttpStatusCode.Created)).Id();
        var goodIds = new List<Guid>();
        foreach (var r in good) goodIds.Add((await (await r).Json(HttpStatusCode.Created)).Id());
        goodIds.Distinct().Count().ShouldBe(10);

        // Two identical requests with one key in one batch: the batch failed on the unique index, each job was retried
        // alone, and the loser answers the winner's job (200), as a replay would.
        var keyed = await Task.WhenAll(sameKey);
        keyed.Select(r => r.StatusCode).Order().ShouldBe([HttpStatusCode.OK, HttpStatusCode.Created]);
        var keyedIds = new List<Guid>();
        foreach (var r in keyed) keyedIds.Add((await r.Json(r.StatusCode)).Id());
        keyedIds.Distinct().Count().ShouldBe(1);
        // The same key with another request: one is created, the other refused.
        var reused = await Task.WhenAll(reusedKey);
        reused.Select(r => r.StatusCode).Order().ShouldBe([HttpStatusCode.Created, HttpStatusCode.UnprocessableEntity]);
        await reused.Single(r => r.StatusCode == HttpStatusCode.UnprocessableEntity).Problem(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");

        var refusal = await (await tooDear).Problem(HttpStatusCode.PaymentRequired, "insufficient_credits");
        refusal.GetProperty("needed").GetInt64().ShouldBe(25);
        (await (await otherWorkspace).Json(HttpStatusCode.Created)).Id();
        await (await otherTooDear).Problem(HttpStatusCode.PaymentRequired, "insufficient_credits");

        // One transaction for the 17 waiting creations (after the first one's own).
        batcher.LargestBatch.ShouldBe(17);
        (batcher.Batches - batchesBefore).ShouldBe(1);

        await using var db = host.NewDbContext();
        var jobsA = await db.Jobs.IgnoreQueryFilters().Where(j => j.WorkspaceId == a.WorkspaceId).ToListAsync(TestContext.Current.CancellationToken);
        jobsA.Count.ShouldBe(13); // first + 10 + one per key
        jobsA.ShouldAllBe(j => j.Status == JobStatus.Queued);
        var holds = await db.CreditHolds.IgnoreQueryFilters().Where(h => h.WorkspaceId == a.WorkspaceId).ToListAsync(TestContext.Current.CancellationToken);
        holds.Select(h => (h.JobId, h.Amount, h.Status)).OrderBy(h => h.JobId)
            .ShouldBe(jobsA.Select(j => (j.Id, j.CostEstimate, HoldStatus.Open)).OrderBy(h => h.Id));
        var events = await db.JobEvents.IgnoreQueryFilters().Where(e => e.WorkspaceId == a.WorkspaceId).ToListAsync(TestContext.Current.CancellationToken);
        events.GroupBy(e => e.JobId).Select(g => g.Single().Type).ShouldAllBe(t => t == "status");
        events.Select(e => e.JobId).Distinct().Count().ShouldBe(13);
        var accountA = await db.CreditAccounts.IgnoreQueryFilters().SingleAsync(x => x.WorkspaceId == a.WorkspaceId, TestContext.Current.CancellationToken);
        accountA.Held.ShouldBe(jobsA.Sum(j => j.CostEstimate));
        var jobsB = await db.Jobs.IgnoreQueryFilters().Where(j => j.WorkspaceId == b.WorkspaceId).ToListAsync(TestContext.Current.CancellationToken);
        jobsB.Select(j => j.CostEstimate).ShouldBe([3L]);
        await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task A_worker_in_another_process_is_woken_by_the_notice_sent_after_the_commit()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        var user = await host.SignUpAsync();
        // A poll far longer than the test's deadlines: only the wake-up NOTIFY can start the job in time.
        await using var worker = WorkerProcess.Start(host.Database, null, host.BlobPath, "wake-worker",
            settings: new Dictionary<string, string> { ["Kiln:Jobs:PollSeconds"] = "600" });
        await using (var c = new NpgsqlConnection(host.Database.ConnectionString))
        {
            await c.OpenAsync(TestContext.Current.CancellationToken);
            await WaitUntilAsync(async () =>
            {
                if (worker.HasExited) throw new InvalidOperationException("The worker exited: " + worker.Output);
                await using var cmd = new NpgsqlCommand(
                    $"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN {JobSignal.Channel}'", c);
                return (long)(await cmd.ExecuteScalarAsync())! >= 1;
            }, "the worker listens", seconds: 60);
        }
        // A first job proves the runner is in its loop (it may find this one at startup, without a notice). Once it
        // finished, the runner looks for more, finds none, and waits for a pulse or its 600 s poll.
        var warm = (await (await user.Client.CreateJob("noop", new { cost = 1 })).Json(HttpStatusCode.Created)).Id();
        (await user.Client.WaitForJob(warm, "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded", worker.Output);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        var id = (await (await user.Client.CreateJob("noop", new { cost = 1 })).Json(HttpStatusCode.Created)).Id();
        var done = await user.Client.WaitForJob(id, "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", worker.Output);
        await using var db = host.NewDbContext();
        (await db.Jobs.IgnoreQueryFilters().SingleAsync(j => j.Id == id, TestContext.Current.CancellationToken)).WorkerId.ShouldBe("wake-worker");
    }

    private static async Task<long> LockWaitersAsync(NpgsqlConnection c)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()", c);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(50);
        }
    }
}

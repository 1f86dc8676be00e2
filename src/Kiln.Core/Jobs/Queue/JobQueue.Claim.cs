using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Kiln.Core.Jobs.Queue;

/// <summary>
/// PostgreSQL claims: prepared raw SQL (the hot path runs it hundreds of times a second; EF would re-plan it each time),
/// on its own or in the same round trip and transaction as a batch of completions.
/// </summary>
public sealed partial class JobQueue
{
    /// <summary>
    /// Completes a batch (<see cref="SucceedManyAsync"/>) and claims up to <paramref name="claim"/> jobs for
    /// <paramref name="workerId"/> in ONE round trip and one transaction: the worker refills the slots the batch frees
    /// without a claim statement of its own. If the server rejects the batch, nothing of it happened (it throws).
    /// </summary>
    public async Task<(bool[] Succeeded, List<Job> Claimed)> SucceedManyAndClaimAsync(IReadOnlyList<Completion> batch, string workerId, int claim, CancellationToken ct)
    {
        if (!BatchedLedgerSql || claim <= 0 || batch.Select(c => c.Job.WorkspaceId).Distinct().Count() > 1)
            return (await SucceedManyAsync(batch, ct), []);
        return await WithConnectionAsync(async conn =>
        {
            await using var b = new NpgsqlBatch(conn);
            var succeed = new NpgsqlBatchCommand(QueueSql.SucceedMany);
            AddSucceedParameters(succeed.Parameters, batch, Now);
            var claimCmd = new NpgsqlBatchCommand(QueueSql.ClaimSkippingBusyCounters);
            AddClaimParameters(claimCmd.Parameters, workerId, claim);
            b.BatchCommands.Add(succeed);
            b.BatchCommands.Add(claimCmd);
            await b.PrepareAsync(ct);
            bool[] results;
            List<(long, long)> moved;
            List<Job> claimed;
            await using (var r = await b.ExecuteReaderAsync(ct))
            {
                (results, moved) = await ReadSucceedResultsAsync(r, batch.Count, ct);
                await r.NextResultAsync(ct);
                claimed = await QueueSql.ReadJobsAsync(r, ct);
            }
            CountMoves(moved);
            ReportCompleted(batch, results);
            return (results, claimed);
        }, ct);
    }

    private async Task<List<Job>> ClaimPostgresAsync(string workerId, int max, CancellationToken ct) =>
        await WithConnectionAsync(async conn =>
        {
            await using var cmd = new NpgsqlCommand(QueueSql.Claim, conn);
            if (db.Database.CurrentTransaction?.GetDbTransaction() is NpgsqlTransaction tx) cmd.Transaction = tx;
            AddClaimParameters(cmd.Parameters, workerId, max);
            await cmd.PrepareAsync(ct);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await QueueSql.ReadJobsAsync(r, ct);
        }, ct);

    private async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> run, CancellationToken ct)
    {
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await conn.OpenAsync(ct);
        try { return await run(conn); }
        finally { if (opened) await conn.CloseAsync(); }
    }

    private void AddClaimParameters(NpgsqlParameterCollection p, string workerId, int max)
    {
        var now = Now;
        p.Add(new NpgsqlParameter<DateTime>("now", now));
        p.Add(new NpgsqlParameter<DateTime>("expires", now.AddSeconds(Options.LeaseSeconds)));
        p.Add(new NpgsqlParameter<int>("scan", max * 4));
        p.Add(new NpgsqlParameter<int>("max", max));
        p.Add(new NpgsqlParameter<int>("cap", accounts.Value.DefaultMaxConcurrentJobs));
        p.Add(new NpgsqlParameter<string>("worker", workerId));
        p.Add(new NpgsqlParameter<string[]>("plans", [.. Options.SchedulingWeights.Keys.Select(k => k.ToLowerInvariant())]));
        p.Add(new NpgsqlParameter<double[]>("weights", [.. Options.SchedulingWeights.Values.Select(PositiveWeight)]));
        // A worker claims only what it can run (WorkerCapabilities); a job no live worker can run stays queued.
        var claimable = Claimable;
        p.Add(new NpgsqlParameter<bool>("any", claimable is null));
        p.Add(new NpgsqlParameter<string[]>("pipelines", claimable ?? []));
    }

    /// <summary>A configured weight, kept positive so a mistyped 0 cannot divide by zero or starve a plan forever.</summary>
    private static double PositiveWeight(double weight) => weight > 0 ? weight : 1;
}

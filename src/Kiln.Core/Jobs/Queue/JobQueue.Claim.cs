using System.Data.Common;
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
            var succeed = new NpgsqlBatchCommand(SucceedManySql);
            AddSucceedParameters(succeed.Parameters, batch, Now);
            var claimCmd = new NpgsqlBatchCommand(ClaimSqlSkippingBusyCounters);
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
                claimed = await ReadJobsAsync(r, ct);
            }
            CountMoves(moved);
            return (results, claimed);
        }, ct);
    }

    private async Task<List<Job>> ClaimPostgresAsync(string workerId, int max, CancellationToken ct) =>
        await WithConnectionAsync(async conn =>
        {
            await using var cmd = new NpgsqlCommand(ClaimSql, conn);
            if (db.Database.CurrentTransaction?.GetDbTransaction() is NpgsqlTransaction tx) cmd.Transaction = tx;
            AddClaimParameters(cmd.Parameters, workerId, max);
            await cmd.PrepareAsync(ct);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await ReadJobsAsync(r, ct);
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
        // A worker claims only what it can run (WorkerCapabilities); a job no live worker can run stays queued.
        var claimable = Claimable;
        p.Add(new NpgsqlParameter<bool>("any", claimable is null));
        p.Add(new NpgsqlParameter<string[]>("pipelines", claimable ?? []));
    }

    private static async Task<List<Job>> ReadJobsAsync(DbDataReader r, CancellationToken ct)
    {
        var jobs = new List<Job>();
        while (await r.ReadAsync(ct))
        {
            jobs.Add(new Job
            {
                Id = r.GetGuid(0), WorkspaceId = r.GetGuid(1), CreatedByUserId = r.IsDBNull(2) ? null : r.GetGuid(2),
                PipelineId = r.GetString(3), OptionsJson = r.GetString(4), InputsJson = r.GetString(5), Status = (JobStatus)r.GetInt32(6),
                Priority = r.GetInt32(7), Attempt = r.GetInt32(8), MaxAttempts = r.GetInt32(9),
                LeaseToken = r.IsDBNull(10) ? null : r.GetGuid(10), LeaseExpiresAt = r.IsDBNull(11) ? null : r.GetDateTime(11),
                WorkerId = r.IsDBNull(12) ? null : r.GetString(12), RunAfter = r.GetDateTime(13), TimeoutSeconds = r.GetInt32(14),
                CancelRequested = r.GetBoolean(15), ProgressPercent = r.GetInt32(16), ProgressStep = r.IsDBNull(17) ? null : r.GetString(17),
                ProgressMessage = r.IsDBNull(18) ? null : r.GetString(18), CostEstimate = r.GetInt64(19), CostActual = r.IsDBNull(20) ? null : r.GetInt64(20),
                ErrorCode = r.IsDBNull(21) ? null : r.GetString(21), ErrorMessage = r.IsDBNull(22) ? null : r.GetString(22),
                IdempotencyKey = r.IsDBNull(23) ? null : r.GetString(23), CreatedAt = r.GetDateTime(24),
                StartedAt = r.IsDBNull(25) ? null : r.GetDateTime(25), FinishedAt = r.IsDBNull(26) ? null : r.GetDateTime(26),
            });
        }
        return jobs;
    }

    // The candidates are picked by a bounded top-N sort first and locked (SKIP LOCKED) afterwards: a LIMIT above FOR UPDATE
    // makes PostgreSQL fully sort every queued job on each claim. Rows another claimer committed in between fail the status
    // recheck after the lock; rows it still holds are skipped. `tentative` is what the snapshot allows under each
    // workspace's cap; the counter step then admits per workspace least(wanted, cap − running) on the NEWEST counter row,
    // so concurrent claims cannot both take a workspace's last slot; only the first `last_grant` tentative jobs of each
    // workspace start, the other locked candidates stay queued.
    private const string ClaimCandidatesSql = """
        WITH candidates AS (
            SELECT id, workspace_id, priority, run_after FROM jobs
            WHERE id IN (
                SELECT id FROM jobs WHERE status = 0 AND run_after <= @now AND (@any OR pipeline_id = ANY(@pipelines))
                ORDER BY priority DESC, run_after, id
                LIMIT @scan)
              AND status = 0
            FOR UPDATE SKIP LOCKED
        ), tentative AS (
            SELECT * FROM (
                SELECT c.id, c.workspace_id, c.priority, c.run_after,
                    row_number() OVER (PARTITION BY c.workspace_id ORDER BY c.priority DESC, c.run_after, c.id) AS rn,
                    coalesce(w.max_concurrent_jobs, @cap) AS cap, coalesce(r.running, 0) AS running
                FROM candidates c JOIN workspaces w ON w.id = c.workspace_id
                LEFT JOIN workspace_running_jobs r ON r.workspace_id = c.workspace_id
            ) x
            WHERE rn + running <= cap ORDER BY priority DESC, run_after, id LIMIT @max
        ), wanted AS (
            SELECT workspace_id, count(*)::int AS n, min(cap) AS cap FROM tentative GROUP BY workspace_id
        ),
        """;

    private const string ClaimStartSql = """
        , chosen AS (
            SELECT t.id FROM tentative t JOIN admitted a ON a.workspace_id = t.workspace_id WHERE t.rn <= a.last_grant
        )
        UPDATE jobs SET status = 1, attempt = jobs.attempt + 1, lease_token = gen_random_uuid(),
            lease_expires_at = @expires, worker_id = @worker, started_at = coalesce(jobs.started_at, @now)
        FROM chosen WHERE jobs.id = chosen.id
        RETURNING jobs.id, jobs.workspace_id, jobs.created_by_user_id, jobs.pipeline_id, jobs.options_json, jobs.inputs_json,
            jobs.status, jobs.priority, jobs.attempt, jobs.max_attempts, jobs.lease_token, jobs.lease_expires_at, jobs.worker_id,
            jobs.run_after, jobs.timeout_seconds, jobs.cancel_requested, jobs.progress_percent, jobs.progress_step,
            jobs.progress_message, jobs.cost_estimate, jobs.cost_actual, jobs.error_code, jobs.error_message, jobs.idempotency_key,
            jobs.created_at, jobs.started_at, jobs.finished_at
        """;

    // On its own: the counter rows are upserted in workspace order, waiting for a concurrent claim or completion of the
    // same workspace (completions take a counter last and wait for nothing after it; claims take them in one order), and
    // PostgreSQL evaluates the grant on the row version that lock wait produced. A workspace's first claim creates its row.
    private const string ClaimSql = ClaimCandidatesSql + """
        admitted AS (
            INSERT INTO workspace_running_jobs AS s (workspace_id, running, last_grant)
            SELECT workspace_id, least(n, cap), least(n, cap) FROM wanted ORDER BY workspace_id
            ON CONFLICT (workspace_id) DO UPDATE
                SET running = s.running + least(excluded.last_grant,
                        (SELECT coalesce(w.max_concurrent_jobs, @cap) FROM workspaces w WHERE w.id = s.workspace_id) - s.running),
                    last_grant = least(excluded.last_grant,
                        (SELECT coalesce(w.max_concurrent_jobs, @cap) FROM workspaces w WHERE w.id = s.workspace_id) - s.running)
                WHERE s.running < (SELECT coalesce(w.max_concurrent_jobs, @cap) FROM workspaces w WHERE w.id = s.workspace_id)
            RETURNING s.workspace_id, s.last_grant
        )
        """ + ClaimStartSql;

    // After a completion in the same transaction: that transaction already holds its own workspace's counter, so waiting
    // here for another workspace's counter could deadlock with a worker doing the mirror image. Counters another
    // transaction holds are skipped instead (like locked jobs); the worker's own claim loop gets those workspaces. The
    // row lock is taken first (newest version), and the UPDATE then computes the grant from that newest version.
    private const string ClaimSqlSkippingBusyCounters = ClaimCandidatesSql + """
        free AS (
            SELECT s.workspace_id FROM workspace_running_jobs s
            WHERE s.workspace_id IN (SELECT workspace_id FROM wanted)
            FOR UPDATE SKIP LOCKED
        ), admitted AS (
            UPDATE workspace_running_jobs s SET running = s.running + least(w.n, w.cap - s.running), last_grant = least(w.n, w.cap - s.running)
            FROM wanted w JOIN free f ON f.workspace_id = w.workspace_id
            WHERE s.workspace_id = w.workspace_id AND s.running < w.cap
            RETURNING s.workspace_id, s.last_grant
        )
        """ + ClaimStartSql;
}

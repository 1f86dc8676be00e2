using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Core.Jobs.Queue;

public sealed record ArtifactRecord(string Name, string ContentType, long Size, string BlobKey, string Sha256);

/// <summary>
/// The queue's state transitions, used by job runners. Every write after the claim is fenced by the lease token:
/// a worker whose lease expired (and whose job another worker took over) matches no row, so it can neither
/// complete nor corrupt the job. Methods return false when the fence rejected the write.
/// </summary>
/// <param name="capabilities">The pipelines this process can run; claims take only their jobs (absent: any pipeline).</param>
public sealed partial class JobQueue(KilnDbContext db, CreditsLedger ledger, JobEvents events, IOptions<JobsOptions> options,
    IOptions<Accounts.AccountsOptions> accounts, TimeProvider clock, Pipelines.WorkerCapabilities? capabilities = null,
    Events.PostgresEventNotifier? notices = null)
{
    private JobsOptions Options => options.Value;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>PostgreSQL completes jobs in one statement per batch (<see cref="JobsOptions.BatchedLedgerSql"/>).</summary>
    private bool BatchedLedgerSql => db.IsPostgres && Options.BatchedLedgerSql;

    /// <summary>The pipeline ids this process may claim, or null for any.</summary>
    private string[]? Claimable => capabilities?.Claimable.ToArray();

    /// <summary>Claims up to <paramref name="max"/> runnable jobs within workspace caps, fairly across workspaces (QueueSql.ClaimCandidates).</summary>
    public async Task<List<Job>> ClaimAsync(string workerId, int max, CancellationToken ct)
    {
        if (max <= 0) return [];
        var now = Now;
        var expires = now.AddSeconds(Options.LeaseSeconds);
        var cap = accounts.Value.DefaultMaxConcurrentJobs;
        if (db.IsPostgres) return await ClaimPostgresAsync(workerId, max, ct);
        var runnable = JsonSerializer.Serialize(Claimable);
        var weights = JsonSerializer.Serialize(Options.SchedulingWeights.ToDictionary(w => w.Key.ToLowerInvariant(), w => PositiveWeight(w.Value)));

        // SQLite: one atomic UPDATE per job (see QueueSql.SqliteClaim).
        var claimed = new List<Job>();
        for (var i = 0; i < max; i++)
        {
            var token = Guid.NewGuid();
            var rows = await db.Jobs.FromSqlRaw(QueueSql.SqliteClaim, token, expires, workerId, now, runnable, cap, weights)
                .IgnoreQueryFilters().AsNoTracking().ToListAsync(ct);
            if (rows.Count == 0) break;
            claimed.AddRange(rows);
        }
        return claimed;
    }

    /// <summary>Renews the lease. Returns null when the lease is lost, else whether a cancel was requested.</summary>
    public async Task<bool?> HeartbeatAsync(Guid jobId, Guid lease, CancellationToken ct)
    {
        var expires = Now.AddSeconds(Options.LeaseSeconds);
        // One round trip per beat (issue 14): the fenced renewal answers the cancel flag itself, on both databases.
        var cancel = await db.Database.SqlQuery<bool>($"""
            UPDATE jobs SET lease_expires_at = {expires}
            WHERE id = {jobId} AND lease_token = {lease} AND status = {(int)JobStatus.Running}
            RETURNING cancel_requested AS "Value"
            """).ToListAsync(ct);
        return cancel.Count == 0 ? null : cancel[0];
    }

    public async Task<bool> ProgressAsync(Job job, Guid lease, int percent, string step, string? message, CancellationToken ct)
    {
        percent = Math.Clamp(percent, 0, 100);
        message = Truncate(message, 1000);
        step = Truncate(step, 100)!;
        var n = await Fenced(job.Id, lease).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.ProgressPercent, percent).SetProperty(j => j.ProgressStep, step).SetProperty(j => j.ProgressMessage, message), ct);
        if (n == 0) return false;
        await events.AppendAsync(job, JobEventTypes.Progress, new { percent, step, message }, ct);
        return true;
    }

    public async Task<bool> LogAsync(Job job, Guid lease, string line, CancellationToken ct)
    {
        if (!await Fenced(job.Id, lease).AnyAsync(ct)) return false;
        await events.AppendAsync(job, JobEventTypes.Log, new { line = Truncate(line, 2000) }, ct);
        return true;
    }

    /// <summary>
    /// Records a failure. Transient failures with attempts left go back to the queue after a backoff; everything
    /// else fails the job and releases its hold.
    /// </summary>
    public async Task<bool> FailAsync(Job job, Guid lease, string code, string message, bool transient, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        bool ok;
        if (transient && job.Attempt < job.MaxAttempts)
        {
            var runAfter = Now + Backoff(job.Attempt);
            ok = await Fenced(job.Id, lease).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.RunAfter, runAfter)
                .SetProperty(j => j.LeaseToken, (Guid?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(j => j.ErrorCode, code).SetProperty(j => j.ErrorMessage, Truncate(message, 2000)), ct) > 0;
            if (ok)
            {
                await events.AppendAsync(job, JobEventTypes.Status, new { status = "queued", retry = true, code, message, runAfter }, ct);
                await LeftRunningAsync(job.WorkspaceId, ct);
            }
        }
        else
        {
            ok = await Finish(Fenced(job.Id, lease), job, JobStatus.Failed, code, message, ct);
        }
        if (ok) await tx.CommitAsync(ct); else await tx.RollbackAsync(ct);
        return ok;
    }

    /// <summary>The worker stopped the job because a cancel was requested.</summary>
    public async Task<bool> CanceledAsync(Job job, Guid lease, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var ok = await Finish(Fenced(job.Id, lease), job, JobStatus.Canceled, "canceled", "Canceled by request.", ct);
        if (ok) await tx.CommitAsync(ct); else await tx.RollbackAsync(ct);
        return ok;
    }

    /// <summary>The error code of an attempt stopped by an outage of Kiln's own blob store.</summary>
    public const string StorageUnavailable = "storage_unavailable";

    /// <summary>
    /// The attempt met an outage of Kiln's own blob store: queued again after <see cref="JobsOptions.OutageRetrySeconds"/>
    /// (with jitter) and this attempt does not count — the job waits for the store instead of failing for it.
    /// </summary>
    public async Task<bool> WaitForStorageAsync(Job job, Guid lease, string message, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var runAfter = Now + TimeSpan.FromSeconds(Options.OutageRetrySeconds * (1 + ((Random.Shared.NextDouble() * 0.5) - 0.25)));
        var ok = await Fenced(job.Id, lease).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.RunAfter, runAfter).SetProperty(j => j.Attempt, j => j.Attempt - 1)
            .SetProperty(j => j.LeaseToken, (Guid?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
            .SetProperty(j => j.ErrorCode, StorageUnavailable).SetProperty(j => j.ErrorMessage, Truncate(message, 2000))
            .SetProperty(j => j.ProgressStep, "queued"), ct) > 0;
        if (ok)
        {
            await events.AppendAsync(job, JobEventTypes.Status, new { status = "queued", retry = true, code = StorageUnavailable, message, runAfter }, ct);
            await LeftRunningAsync(job.WorkspaceId, ct);
        }
        if (ok) await tx.CommitAsync(ct); else await tx.RollbackAsync(ct);
        return ok;
    }

    /// <summary>Gives a job back on shutdown: queued again at once, and this attempt does not count.</summary>
    public async Task<bool> HandBackAsync(Job job, Guid lease, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = Now;
        var ok = await Fenced(job.Id, lease).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.RunAfter, now).SetProperty(j => j.Attempt, j => j.Attempt - 1)
            .SetProperty(j => j.LeaseToken, (Guid?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
            .SetProperty(j => j.ProgressStep, "queued"), ct) > 0;
        if (ok)
        {
            await events.AppendAsync(job, JobEventTypes.Status, new { status = "queued", handedBack = true }, ct);
            await LeftRunningAsync(job.WorkspaceId, ct);
        }
        if (ok) await tx.CommitAsync(ct); else await tx.RollbackAsync(ct);
        return ok;
    }

    /// <summary>
    /// Requeues jobs whose lease expired (their worker died) with backoff, or fails them when attempts are used up
    /// (or cancels them when a cancel was requested). Safe to run in every worker at once: each transition is
    /// fenced by the expired lease token.
    /// </summary>
    public Task<int> RescueExpiredAsync(CancellationToken ct) => RescueExpiredAsync(null, ct);

    /// <param name="lost">Receives each attempt taken over, so the caller can remove what it left behind.</param>
    public async Task<int> RescueExpiredAsync(ICollection<Runner.LostAttempt>? lost, CancellationToken ct)
    {
        var now = Now;
        var expired = await db.Jobs.IgnoreQueryFilters().AsNoTracking()
            .Where(j => j.Status == JobStatus.Running && j.LeaseExpiresAt < now)
            .OrderBy(j => j.LeaseExpiresAt).Take(100).ToListAsync(ct);
        var rescued = 0;
        foreach (var job in expired)
        {
            if (job.LeaseToken is not { } lease) continue;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            bool ok;
            var finished = job.CancelRequested || job.Attempt >= job.MaxAttempts;
            if (job.CancelRequested)
                ok = await Finish(Fenced(job.Id, lease), job, JobStatus.Canceled, "canceled", "Canceled by request.", ct);
            else if (job.Attempt >= job.MaxAttempts)
                ok = await Finish(Fenced(job.Id, lease), job, JobStatus.Failed, "attempts_exhausted",
                    $"The job stopped responding {job.Attempt} time(s) (its worker was lost) and will not be retried.", ct);
            else
            {
                var runAfter = now + Backoff(job.Attempt);
                ok = await Fenced(job.Id, lease).ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.Status, JobStatus.Queued).SetProperty(j => j.RunAfter, runAfter)
                    .SetProperty(j => j.LeaseToken, (Guid?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
                    .SetProperty(j => j.ErrorCode, "lease_expired").SetProperty(j => j.ProgressStep, "queued"), ct) > 0;
                if (ok)
                {
                    await events.AppendAsync(job, JobEventTypes.Status, new { status = "queued", retry = true, code = "lease_expired", runAfter }, ct);
                    await LeftRunningAsync(job.WorkspaceId, ct);
                }
            }
            if (ok)
            {
                await tx.CommitAsync(ct);
                rescued++;
                lost?.Add(new Runner.LostAttempt(job.Id, job.WorkspaceId, job.Attempt, finished));
            }
            else await tx.RollbackAsync(ct);
        }
        return rescued;
    }

    internal TimeSpan Backoff(int attempt)
    {
        var seconds = Math.Min(Options.BackoffMaxSeconds, Options.BackoffBaseSeconds * Math.Pow(2, Math.Max(0, attempt - 1)));
        var jitter = 1 + ((Random.Shared.NextDouble() * 0.5) - 0.25);
        return TimeSpan.FromSeconds(seconds * jitter);
    }

    private IQueryable<Job> Fenced(Guid jobId, Guid lease) =>
        db.Jobs.IgnoreQueryFilters().Where(j => j.Id == jobId && j.LeaseToken == lease && j.Status == JobStatus.Running);

    private async Task<bool> Finish(IQueryable<Job> target, Job job, JobStatus status, string code, string message, CancellationToken ct)
    {
        var now = Now;
        var n = await target.ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, status).SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.ErrorCode, status == JobStatus.Canceled ? null : code)
            .SetProperty(j => j.ErrorMessage, status == JobStatus.Canceled ? null : Truncate(message, 2000))
            .SetProperty(j => j.ProgressStep, status == JobStatus.Canceled ? "canceled" : "failed")
            .SetProperty(j => j.LeaseToken, (Guid?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
        if (n == 0) return false;
        await ledger.ReleaseHoldAsync(job.Id, ct);
        await events.AppendAsync(job, JobEventTypes.Status,
            status == JobStatus.Canceled ? new { status = "canceled" } : new { status = "failed", code, message }, ct);
        await LeftRunningAsync(job.WorkspaceId, ct);
        return true;
    }

    /// <summary>
    /// PostgreSQL: a job of this workspace left Running (in the caller's transaction, after its fenced update), so its
    /// slot is free again. Called last, after any ledger writes: every path locks job → hold → account → counter, so
    /// two finishing transactions cannot deadlock on the account and the counter.
    /// </summary>
    private async Task LeftRunningAsync(Guid workspaceId, CancellationToken ct)
    {
        if (!db.IsPostgres) return;
        await db.WorkspaceRunningJobs.Where(r => r.WorkspaceId == workspaceId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Running, r => r.Running - 1), ct);
    }

    /// <summary>
    /// PostgreSQL: puts any workspace's running counter that disagrees with its running jobs back in line (a manual
    /// edit of jobs, or a bug). Counter and jobs change in the same transactions, so one snapshot sees them agree;
    /// a disagreement is real. It is corrected under the counter's row lock, counting in a snapshot taken after the
    /// lock, so no claim or completion can slip in between. Returns how many counters were corrected.
    /// </summary>
    public async Task<int> RepairRunningCountsAsync(CancellationToken ct)
    {
        if (!db.IsPostgres) return 0;
        var drifted = await db.Database.SqlQuery<Guid>($"""
            SELECT coalesce(r.workspace_id, j.workspace_id) AS "Value"
            FROM workspace_running_jobs r
            FULL JOIN (SELECT workspace_id, count(*) AS n FROM jobs WHERE status = 1 GROUP BY workspace_id) j ON j.workspace_id = r.workspace_id
            WHERE coalesce(r.running, 0) <> coalesce(j.n, 0)
            """).ToListAsync(ct);
        foreach (var ws in drifted)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO workspace_running_jobs (workspace_id, running, last_grant) VALUES ({ws}, 0, 0) ON CONFLICT (workspace_id) DO NOTHING", ct);
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM workspace_running_jobs WHERE workspace_id = {ws} FOR UPDATE", ct);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE workspace_running_jobs SET running = (SELECT count(*) FROM jobs WHERE workspace_id = {ws} AND status = 1)
                WHERE workspace_id = {ws}
                """, ct);
            await tx.CommitAsync(ct);
        }
        return drifted.Count;
    }

    private static string? Truncate(string? s, int max) => s is null || s.Length <= max ? s : s[..max];
}

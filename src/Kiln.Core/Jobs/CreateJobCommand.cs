using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs.Queue;
using Kiln.Core.Pipelines;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Core.Jobs;

public sealed record CreatedJob(Job Job, bool Existing);

/// <summary>
/// Creates a job and its credit hold in one transaction: a job never exists without its hold, and a hold never
/// without its job. Insufficient credits create nothing. An idempotency key returns the job it created before.
/// </summary>
public sealed class CreateJobCommand(KilnDbContext db, PlanJobQuery planner, PipelineCatalog catalog, CreditsLedger ledger, JobEvents events,
    JobSignal signal, EnqueueBatcher batcher, Events.PostgresEventNotifier notices, IOptions<JobsOptions> options, TimeProvider clock)
{
    public async Task<Result<CreatedJob>> Run(Guid workspaceId, Guid? userId, JobRequest request, string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is { Length: > 200 })
            return Error.Invalid("invalid_idempotency_key", "An Idempotency-Key has at most 200 characters.");
        var requestHash = idempotencyKey is null ? null : RequestHash(request);
        if (idempotencyKey is not null && await Find(workspaceId, idempotencyKey, ct) is { } earlier)
            return Replay(earlier, requestHash);

        var planned = await planner.Run(workspaceId, request, ct);
        if (planned.Error is { } error) return error;
        var (pipeline, plan, inputs) = planned.Value!;

        var now = clock.GetUtcNow().UtcDateTime;
        var job = new Job
        {
            Id = Ids.New(), WorkspaceId = workspaceId, CreatedByUserId = userId, PipelineId = pipeline.Descriptor.Id,
            OptionsJson = plan.OptionsJson.GetRawText(), InputsJson = JobInput.Serialize(inputs), Status = JobStatus.Queued,
            Priority = Math.Clamp(request.Priority, -10, 10), MaxAttempts = options.Value.MaxAttempts, RunAfter = now,
            TimeoutSeconds = catalog.TimeoutSeconds(pipeline), CostEstimate = plan.EstimatedCost,
            IdempotencyKey = idempotencyKey, RequestHash = requestHash, CreatedAt = now, ProgressStep = "queued",
            TraceParent = System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } current ? current.Id : null,
        };

        if (db.IsPostgres && options.Value.BatchedLedgerSql) return await InsertPostgresAsync(job, idempotencyKey, ct);

        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            try
            {
                db.Jobs.Add(job);
                await db.SaveChangesAsync(ct);
                var hold = await ledger.PlaceHoldAsync(workspaceId, job.Id, plan.EstimatedCost, ct);
                if (hold.Error is { } holdError)
                {
                    await tx.RollbackAsync(ct);
                    db.ChangeTracker.Clear();
                    return holdError;
                }
                await events.AppendAsync(job, JobEventTypes.Status, new { status = "queued" }, ct);
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateException) when (idempotencyKey is not null)
            {
                // A concurrent request with the same key won the unique index: answer with its job.
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                if (await Find(workspaceId, idempotencyKey, ct) is { } winner) return Replay(winner, requestHash);
                throw;
            }
        }
        signal.NotifyLocal();
        notices.WakeWorkers();
        return new CreatedJob(job, false);
    }

    /// <summary>
    /// PostgreSQL: the hold, the job, its hold row, the hold's ledger entry and the "queued" event in ONE statement, group
    /// committed with the other creations waiting at that moment (<see cref="EnqueueBatcher"/>; it also sends the
    /// wake-up and the live notices after the commit). The account UPDATE comes first and every insert selects from its
    /// RETURNING, so insufficient credits insert nothing. A duplicate idempotency key fails this job's statement (unique
    /// index), and the batcher retries its batch-mates without it.
    /// </summary>
    private async Task<Result<CreatedJob>> InsertPostgresAsync(Job job, string? idempotencyKey, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            (long Posted, long Held)? moved;
            try
            {
                moved = await batcher.InsertAsync(job);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && idempotencyKey is not null)
            {
                // A concurrent request with the same key won the unique index: answer with its job.
                if (await Find(job.WorkspaceId, idempotencyKey, ct) is { } winner) return Replay(winner, job.RequestHash);
                throw;
            }
            if (moved is not null)
            {
                CreditsLedger.CountMovement(LedgerEntryKind.Hold, job.CostEstimate);
                return new CreatedJob(job, false);
            }
            // No row: the workspace has no account yet (create it and try once more), or not enough credits.
            if (attempt == 0 && !await db.CreditAccounts.AnyAsync(a => a.WorkspaceId == job.WorkspaceId, ct))
            {
                await ledger.EnsureAccountAsync(job.WorkspaceId, ct);
                continue;
            }
            var account = await ledger.Account(job.WorkspaceId, ct);
            return Error.InsufficientCredits(job.CostEstimate, account.Available);
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions EventJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>
    /// The same key with the same request answers the job it created; with another request it is refused (as Stripe
    /// does), so a client bug that reuses keys cannot silently get a job it did not ask for.
    /// </summary>
    private static Result<CreatedJob> Replay(Job earlier, string? requestHash) =>
        earlier.RequestHash is null || requestHash is null || earlier.RequestHash == requestHash
            ? new CreatedJob(earlier, true)
            : Error.Unprocessable("idempotency_key_reused", "This Idempotency-Key was already used with a different request. Use a new key for a new job.");

    /// <summary>SHA-256 of the request as the API read it (whitespace and JSON formatting do not matter).</summary>
    internal static string RequestHash(JobRequest request) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(request, EventJson)));

    private Task<Job?> Find(Guid workspaceId, string key, CancellationToken ct) =>
        db.Jobs.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(j => j.WorkspaceId == workspaceId && j.IdempotencyKey == key, ct);
}

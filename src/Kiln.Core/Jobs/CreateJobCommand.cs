using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs.Queue;
using Kiln.Core.Pipelines;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs;

public sealed record CreatedJob(Job Job, bool Existing);

/// <summary>
/// Creates a job and its credit hold in one transaction: a job never exists without its hold, and a hold never
/// without its job. Insufficient credits create nothing. An idempotency key returns the job it created before.
/// </summary>
public sealed class CreateJobCommand(KilnDbContext db, PlanJobQuery planner, PipelineCatalog catalog, CreditsLedger ledger, JobEvents events,
    JobSignal signal, IOptions<JobsOptions> options, TimeProvider clock)
{
    public async Task<Result<CreatedJob>> Run(Guid workspaceId, Guid? userId, JobRequest request, string? idempotencyKey, CancellationToken ct)
    {
        if (idempotencyKey is { Length: > 200 })
            return Error.Invalid("invalid_idempotency_key", "An Idempotency-Key has at most 200 characters.");
        if (idempotencyKey is not null && await Find(workspaceId, idempotencyKey, ct) is { } earlier)
            return new CreatedJob(earlier, true);

        var planned = await planner.Run(workspaceId, request, ct);
        if (planned.Error is { } error) return error;
        var (pipeline, plan, inputs) = planned.Value!;

        var now = clock.GetUtcNow().UtcDateTime;
        var job = new Job
        {
            Id = Ids.New(), WorkspaceId = workspaceId, CreatedByUserId = userId, PipelineId = pipeline.Descriptor.Id,
            OptionsJson = plan.Options.GetRawText(), InputsJson = JobInput.Serialize(inputs), Status = JobStatus.Queued,
            Priority = Math.Clamp(request.Priority, -10, 10), MaxAttempts = options.Value.MaxAttempts, RunAfter = now,
            TimeoutSeconds = catalog.TimeoutSeconds(pipeline), CostEstimate = plan.EstimatedCost,
            IdempotencyKey = idempotencyKey, CreatedAt = now, ProgressStep = "queued",
        };

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
                await signal.NotifyInTransactionAsync(db, ct);
                await tx.CommitAsync(ct);
            }
            catch (DbUpdateException) when (idempotencyKey is not null)
            {
                // A concurrent request with the same key won the unique index: answer with its job.
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                if (await Find(workspaceId, idempotencyKey, ct) is { } winner) return new CreatedJob(winner, true);
                throw;
            }
        }
        signal.NotifyLocal();
        return new CreatedJob(job, false);
    }

    private Task<Job?> Find(Guid workspaceId, string key, CancellationToken ct) =>
        db.Jobs.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(j => j.WorkspaceId == workspaceId && j.IdempotencyKey == key, ct);
}

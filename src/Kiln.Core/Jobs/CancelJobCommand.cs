using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

/// <summary>
/// A queued job is canceled at once and its hold released. A running job is flagged; its worker sees the flag on
/// its next heartbeat (about a second), kills the pipeline's child processes and finishes the job as canceled.
/// </summary>
public sealed class CancelJobCommand(KilnDbContext db, CreditsLedger ledger, JobEvents events, TimeProvider clock)
{
    public async Task<Result<Job>> Run(Guid workspaceId, Guid jobId, CancellationToken ct)
    {
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.WorkspaceId == workspaceId, ct);
        if (job is null) return Error.NotFound("Job");
        if (job.Status == JobStatus.Canceled) return job;
        if (job.IsFinished) return Error.Conflict("job_finished", $"This job already {job.Status.WireName()}; there is nothing to cancel.");

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var canceled = await db.Jobs.Where(j => j.Id == jobId && j.Status == JobStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Canceled).SetProperty(j => j.CancelRequested, true)
                .SetProperty(j => j.FinishedAt, now).SetProperty(j => j.ProgressStep, "canceled"), ct);
        if (canceled == 1)
        {
            await ledger.ReleaseHoldAsync(jobId, ct);
            await events.AppendAsync(job, JobEventTypes.Status, new { status = "canceled" }, ct);
        }
        else
        {
            await db.Jobs.Where(j => j.Id == jobId && j.Status == JobStatus.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true), ct);
            await events.AppendAsync(job, JobEventTypes.Log, new { line = "Cancel requested; stopping the job…" }, ct);
        }
        await tx.CommitAsync(ct);
        return await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == jobId, ct);
    }
}

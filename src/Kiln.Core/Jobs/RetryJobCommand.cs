using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

/// <summary>
/// Runs a failed or canceled job again as a new job with the same pipeline, inputs and options, in the same
/// workspace, with its own hold. The original stays as it was: the ledger and the history never change after the fact.
/// </summary>
public sealed class RetryJobCommand(KilnDbContext db, CreateJobCommand create, Audit.IAuditLog audit)
{
    /// <param name="workspaceId">The caller's workspace, or null for an operator acting on any workspace.</param>
    public async Task<Result<CreatedJob>> Run(Guid? workspaceId, Guid jobId, Guid? userId, CancellationToken ct)
    {
        // An operator sees every workspace; a caller's own request keeps the filters (tenant and per-member privacy).
        var jobs = workspaceId is null ? db.Jobs.IgnoreQueryFilters() : db.Jobs;
        var job = await jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && (workspaceId == null || j.WorkspaceId == workspaceId), ct);
        if (job is null) return Error.NotFound("Job");
        if (job.Status is not (JobStatus.Failed or JobStatus.Canceled))
            return Error.Conflict("job_not_retryable", "Only failed or canceled jobs can be run again.");
        var request = new JobRequest(job.PipelineId, JobInput.Parse(job.InputsJson).Select(i => i.UploadId).ToList(),
            JsonDocument.Parse(job.OptionsJson).RootElement.Clone(), job.Priority);
        // One retry per original job and request: a double click does not run it twice.
        var created = await create.Run(job.WorkspaceId, userId, request, $"retry:{job.Id:N}:{job.FinishedAt?.Ticks}", ct);
        // An operator acting on someone else's workspace is an admin action; a member's own retry is ordinary use.
        if (workspaceId is null && created.Value is { } c)
            await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.JobRetried, userId, job.WorkspaceId, job.Id.ToString(), new { newJobId = c.Job.Id }), ct);
        return created;
    }
}

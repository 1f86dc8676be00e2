using System.Text.Json;
using Kiln.Core.Pipelines;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs.Queue;

/// <summary>Subtask writes: fenced by the lease like every other worker write, each followed by a <c>subtask</c> event.</summary>
public sealed partial class JobQueue
{
    public async Task<bool> SubtaskAsync(Job job, Guid lease, SubtaskUpdate update, CancellationToken ct)
    {
        if (!await Fenced(job.Id, lease).AnyAsync(ct)) return false;
        var now = Now;
        var row = await db.JobSubtasks.IgnoreQueryFilters().FirstOrDefaultAsync(s => s.JobId == job.Id && s.Key == update.Key, ct);
        if (row is null)
        {
            var ordinal = await db.JobSubtasks.IgnoreQueryFilters().CountAsync(s => s.JobId == job.Id, ct);
            row = new Jobs.JobSubtask
            {
                Id = Common.Ids.New(), JobId = job.Id, WorkspaceId = job.WorkspaceId, Key = Truncate(update.Key, 32)!, Label = Truncate(update.Label, 100)!,
                Stage = SubtaskStages.Queued, Ordinal = ordinal, CreatedAt = now,
            };
            db.JobSubtasks.Add(row);
        }
        row.Label = Truncate(update.Label, 100)!;
        row.Stage = Truncate(update.Stage, 32)!;
        row.Progress = Math.Clamp(update.Progress, 0, 100);
        row.Cost = Math.Max(0, update.Cost);
        row.Error = Truncate(update.Error, 1000);
        row.ArtifactsJson = JsonSerializer.Serialize(update.Artifacts ?? []);
        row.StartedAt = update.StartedAt ?? row.StartedAt;
        row.FinishedAt = update.IsFinal ? update.FinishedAt ?? row.FinishedAt ?? now : null;
        row.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await events.AppendAsync(job, JobEventTypesSubtask.Subtask, new
        {
            key = row.Key, label = row.Label, stage = row.Stage, progress = row.Progress, cost = row.Cost, error = row.Error,
            artifacts = update.Artifacts ?? [],
        }, ct);
        return true;
    }

    public async Task<IReadOnlyDictionary<string, SubtaskUpdate>> SubtasksAsync(Guid jobId, CancellationToken ct)
    {
        var rows = await db.JobSubtasks.IgnoreQueryFilters().AsNoTracking().Where(s => s.JobId == jobId).ToListAsync(ct);
        return rows.ToDictionary(r => r.Key, r => new SubtaskUpdate(r.Key, r.Label, r.Stage, r.Progress, r.Cost, r.Error, r.ArtifactNames, r.StartedAt, r.FinishedAt),
            StringComparer.Ordinal);
    }
}

using System.Text.Json;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

public static class JobEventTypes
{
    public const string Status = "status";
    public const string Progress = "progress";
    public const string Log = "log";
    public const string Artifact = "artifact";
}

/// <summary>Appends to a job's ordered event log (SSE streams it by id) and reads it back.</summary>
public sealed class JobEvents(KilnDbContext db, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task AppendAsync(Job job, string type, object data, CancellationToken ct)
    {
        db.JobEvents.Add(new JobEvent
        {
            JobId = job.Id, WorkspaceId = job.WorkspaceId, Type = type, DataJson = JsonSerializer.Serialize(data, Json),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
    }

    public Task<List<JobEvent>> After(Guid workspaceId, Guid jobId, long afterId, int max, CancellationToken ct) =>
        db.JobEvents.AsNoTracking()
            .Where(e => e.JobId == jobId && e.WorkspaceId == workspaceId && e.Id > afterId)
            .OrderBy(e => e.Id).Take(max).ToListAsync(ct);
}

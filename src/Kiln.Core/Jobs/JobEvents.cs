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

    /// <summary>An event's data as it is stored (also by the queue's raw SQL, which writes the "queued" event itself).</summary>
    public static string Data(object data) => JsonSerializer.Serialize(data, Json);

    public async Task AppendAsync(Job job, string type, object data, CancellationToken ct)
    {
        db.JobEvents.Add(new JobEvent
        {
            JobId = job.Id, WorkspaceId = job.WorkspaceId, Type = type, DataJson = Data(data),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
    }

    public Task<List<JobEvent>> After(Guid workspaceId, Guid jobId, long afterId, int max, CancellationToken ct) =>
        db.JobEvents.AsNoTracking()
            .Where(e => e.JobId == jobId && e.WorkspaceId == workspaceId && e.Id > afterId)
            .OrderBy(e => e.Id).Take(max).ToListAsync(ct);
}

using System.Text.Json;
using Kiln.Core.Data;
using Kiln.Core.Pipelines;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Jobs;

/// <summary>
/// One part of a job that progresses, costs and fails on its own (a dubbing language). Kept across attempts, so a
/// retry shows what an earlier attempt finished; written only by the worker holding the job's lease.
/// </summary>
public sealed class JobSubtask
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public Guid WorkspaceId { get; set; }
    /// <summary>Unique within the job (a language code).</summary>
    public required string Key { get; set; }
    public required string Label { get; set; }
    /// <summary>The order the pipeline first reported it in.</summary>
    public int Ordinal { get; set; }
    public required string Stage { get; set; }
    public int Progress { get; set; }
    public long Cost { get; set; }
    public string? Error { get; set; }
    /// <summary>Names of the job's artifacts that belong to this part, as a JSON array.</summary>
    public string ArtifactsJson { get; set; } = "[]";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    public IReadOnlyList<string> ArtifactNames => JsonSerializer.Deserialize<string[]>(ArtifactsJson) ?? [];
    public bool IsFinal => Stage is SubtaskStages.Done or SubtaskStages.Failed;
}

internal sealed class JobSubtaskConfiguration : IEntityTypeConfiguration<JobSubtask>
{
    public void Configure(EntityTypeBuilder<JobSubtask> b)
    {
        b.Property(x => x.Key).HasMaxLength(32);
        b.Property(x => x.Label).HasMaxLength(100);
        b.Property(x => x.Stage).HasMaxLength(32);
        b.Property(x => x.Error).HasMaxLength(1000);
        b.Ignore(x => x.ArtifactNames);
        b.Ignore(x => x.IsFinal);
        b.HasIndex(x => new { x.JobId, x.Key }).IsUnique();
    }
}

public static class JobEventTypesSubtask
{
    /// <summary>A subtask changed: its whole state, so the page can redraw its row from the event alone.</summary>
    public const string Subtask = "subtask";
}

/// <summary>A job's subtasks in the order they were first reported.</summary>
public sealed class ListSubtasksQuery(KilnDbContext db)
{
    private static readonly CompiledQuery<Func<KilnDbContext, Guid, Guid, IAsyncEnumerable<JobSubtask>>> OfJob = new(() => EF.CompileAsyncQuery<KilnDbContext, Guid, Guid, JobSubtask>(
        (KilnDbContext c, Guid workspaceId, Guid jobId) =>
            c.JobSubtasks.AsNoTracking().Where(s => s.JobId == jobId && s.WorkspaceId == workspaceId).OrderBy(s => s.Ordinal).ThenBy(s => s.Key)));

    public async Task<List<JobSubtask>> Run(Guid workspaceId, Guid jobId, CancellationToken ct)
    {
        var list = new List<JobSubtask>();
        await foreach (var s in OfJob.For(db)(db, workspaceId, jobId).WithCancellation(ct)) list.Add(s);
        return list;
    }
}

/// <summary>
/// When a running job will finish, judged from how far it is and how long it has run: null before 5 % or for a finished job.
/// </summary>
public static class CompletionEstimate
{
    public static DateTime? Of(Job job, DateTime now)
    {
        if (job.Status != JobStatus.Running || job.StartedAt is not { } started || job.ProgressPercent < 5) return null;
        var elapsed = now - started;
        if (elapsed <= TimeSpan.Zero) return null;
        var remaining = elapsed * ((100.0 - job.ProgressPercent) / job.ProgressPercent);
        return now + remaining;
    }
}

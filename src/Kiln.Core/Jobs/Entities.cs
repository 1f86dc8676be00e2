namespace Kiln.Core.Jobs;

public enum JobStatus { Queued = 0, Running = 1, Succeeded = 2, Failed = 3, Canceled = 4 }

public sealed class Job
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid? CreatedByUserId { get; set; }
    public required string PipelineId { get; set; }
    /// <summary>The validated options as JSON.</summary>
    public string OptionsJson { get; set; } = "{}";
    /// <summary>The inputs (upload ids or URLs) as JSON.</summary>
    public string InputsJson { get; set; } = "[]";
    public JobStatus Status { get; set; }
    public int Priority { get; set; }
    public int Attempt { get; set; }
    public int MaxAttempts { get; set; } = 3;
    /// <summary>Fences every worker write: a worker whose lease was taken over no longer matches.</summary>
    public Guid? LeaseToken { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    public string? WorkerId { get; set; }
    public DateTime RunAfter { get; set; }
    public int TimeoutSeconds { get; set; }
    public bool CancelRequested { get; set; }
    public int ProgressPercent { get; set; }
    public string? ProgressStep { get; set; }
    public string? ProgressMessage { get; set; }
    public long CostEstimate { get; set; }
    public long? CostActual { get; set; }
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
    public string? IdempotencyKey { get; set; }
    /// <summary>SHA-256 of the request that used <see cref="IdempotencyKey"/>: the key again with another body is refused.</summary>
    public string? RequestHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    /// <summary>
    /// The W3C <c>traceparent</c> of the request that created the job, so the worker's attempt continues the same trace
    /// (HTTP request → enqueue → attempt → steps), on whichever machine it runs.
    /// </summary>
    public string? TraceParent { get; set; }
    /// <summary>When its creator shared it with the workspace (matters only under per-member privacy).</summary>
    public DateTime? SharedAt { get; set; }

    public bool IsFinished => Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Canceled;
}

/// <summary>The ordered log of a job: progress, log lines, status changes, artifacts. SSE event ids are <see cref="Id"/>.</summary>
public sealed class JobEvent
{
    public long Id { get; set; }
    public Guid JobId { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Type { get; set; }
    public string DataJson { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
}

public sealed class Artifact
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public required string ContentType { get; set; }
    public long Size { get; set; }
    public required string BlobKey { get; set; }
    public required string Sha256 { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A worker process announcing it is alive; /health/ready and the admin page read these.</summary>
public sealed class WorkerHeartbeat
{
    public required string WorkerId { get; set; }
    public required string Host { get; set; }
    public int Running { get; set; }
    public int Capacity { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    /// <summary>Space-separated ids of the pipelines this worker can run (its tools are present); null from older workers.</summary>
    public string? Pipelines { get; set; }
}

/// <summary>
/// PostgreSQL's admission counter for a workspace's concurrency cap: how many of its jobs are running. A claim raises
/// it with a conditional upsert that PostgreSQL re-evaluates on the newest row version after a lock wait, so two
/// concurrent claims cannot both take the last slot; every transition out of Running lowers it in the same
/// transaction. <see cref="LastGrant"/> is scratch space: how many slots the latest claim got (RETURNING cannot see
/// the old value on PostgreSQL 15). SQLite has a single writer, so its claim counts running jobs exactly and does not
/// use this table.
/// </summary>
public sealed class WorkspaceRunningJobs
{
    public Guid WorkspaceId { get; set; }
    public int Running { get; set; }
    public int LastGrant { get; set; }
}

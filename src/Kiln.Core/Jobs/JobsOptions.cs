using Microsoft.Extensions.Configuration;

namespace Kiln.Core.Jobs;

/// <summary>Bound from <c>Kiln:Jobs</c>.</summary>
public sealed class JobsOptions
{
    public const string Section = "Kiln:Jobs";

    /// <summary>How long a claim lasts without a heartbeat; a worker killed mid-job is rescued after this.</summary>
    public int LeaseSeconds { get; set; } = 15;
    /// <summary>How often a running job renews its lease and checks for a cancel request.</summary>
    public double HeartbeatSeconds { get; set; } = 1;
    public int MaxAttempts { get; set; } = 3;
    /// <summary>First retry delay; doubles per attempt, with ±25 % jitter, capped at <see cref="BackoffMaxSeconds"/>.</summary>
    public double BackoffBaseSeconds { get; set; } = 2;
    public double BackoffMaxSeconds { get; set; } = 300;
    /// <summary>
    /// A job whose attempt met an outage of Kiln's own blob store is queued again after this long (±25 %), without
    /// spending an attempt: it waits for the store rather than failing for it.
    /// </summary>
    public double OutageRetrySeconds { get; set; } = 10;
    /// <summary>How often the rescuer looks for expired leases.</summary>
    public double RescueIntervalSeconds { get; set; } = 2;
    /// <summary>Fallback poll when no wake-up arrives (LISTEN/NOTIFY or in-process signal).</summary>
    public double PollSeconds { get; set; } = 1;
    /// <summary>How long an unused single-use download link keeps working (hours, at least 1).</summary>
    public int SingleUseLinkHours { get; set; } = 24;

    /// <summary>
    /// Scheduling weight per plan id (<c>Kiln:Jobs:SchedulingWeights:pro = 2</c>): when workspaces compete for free worker
    /// slots, the next slot goes to the workspace with the fewest running jobs per unit of weight, so a weight-2 plan gets
    /// about twice the slots of a weight-1 plan under contention. Plans not listed weigh 1. Priority never crosses
    /// workspaces: it orders jobs only within their own workspace.
    /// </summary>
    public Dictionary<string, double> SchedulingWeights { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// PostgreSQL places and resolves holds in the queue's one-statement SQL (<c>QueueSql</c>, built from
    /// <c>LedgerSql</c>). Test seam, not configuration (internal, so never bound): false sends PostgreSQL down the
    /// EF + <c>CreditsLedger</c> path that SQLite takes, so a test can compare the ledger rows of both on one database.
    /// </summary>
    internal bool BatchedLedgerSql { get; set; } = true;
}

/// <summary>Bound from <c>Kiln:Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Kiln:Worker";

    /// <summary>The section bound now, for hosts that decide at registration time (e.g. whether to run the runner).</summary>
    public static WorkerOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<WorkerOptions>() ?? new WorkerOptions();

    /// <summary>Run the job runner in this process (on by default in embedded mode, off for web-only replicas).</summary>
    public bool Enabled { get; set; } = true;
    public int Concurrency { get; set; } = 2;
    /// <summary>Jobs of "heavy" pipelines (audiobooks, dubbing) this worker runs at once, beside light ones.</summary>
    public int MaxHeavyJobs { get; set; } = 1;
    /// <summary>On SIGTERM, running jobs get this long to finish before they are handed back to the queue.</summary>
    public int ShutdownGraceSeconds { get; set; } = 20;
    public string ScratchPath { get; set; } = Path.Combine(Path.GetTempPath(), "kiln-scratch");
    public string? WorkerId { get; set; }
}

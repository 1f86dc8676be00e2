using System.Diagnostics.Metrics;

namespace Kiln.Core.Common;

/// <summary>Kiln's own instruments. /metrics exports them (and ASP.NET Core's) in Prometheus text format.</summary>
public static class KilnMetrics
{
    public const string MeterName = "Kiln";
    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> JobsFinished = Meter.CreateCounter<long>("kiln_jobs_finished", description: "Jobs that reached a final status, by pipeline and status.");
    public static readonly Counter<long> JobsCreated = Meter.CreateCounter<long>("kiln_jobs_created", description: "Jobs created, by pipeline.");
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("kiln_job_duration", unit: "s", description: "Run time of a job attempt, by pipeline and outcome.");
    public static readonly Counter<long> LedgerMovements = Meter.CreateCounter<long>("kiln_ledger_movements", description: "Ledger entries written, by kind.");
    public static readonly Counter<long> LedgerCredits = Meter.CreateCounter<long>("kiln_ledger_credits", description: "Credits moved, by kind (absolute value).");
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kiln.Core.Common;

/// <summary>
/// Kiln's own instruments and activity source. OpenTelemetry exports them (see <see cref="KilnTelemetry"/>): as
/// Prometheus text on the web host's <c>/metrics</c> and on a worker's metrics port, and by OTLP when configured. The
/// exporter appends the unit and type suffixes: <c>kiln_job_duration</c> in seconds is scraped as
/// <c>kiln_job_duration_seconds_*</c>, the counters as <c>*_total</c>.
/// </summary>
public static class KilnMetrics
{
    public const string MeterName = "Kiln";
    public const string ActivitySourceName = "Kiln";
    private static readonly Meter Meter = new(MeterName);

    /// <summary>Spans of job attempts; traced when an OTLP endpoint is configured.</summary>
    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    /// <summary>From a few milliseconds (no-op jobs) to half an hour (long media jobs).</summary>
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800];

    public static readonly Counter<long> JobsFinished = Meter.CreateCounter<long>("kiln_jobs_finished", description: "Jobs that reached a final status, by pipeline and status.");
    public static readonly Counter<long> JobsCreated = Meter.CreateCounter<long>("kiln_jobs_created", description: "Jobs created, by pipeline.");
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram("kiln_job_duration", unit: "s", description: "Run time of a job attempt, by pipeline and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    public static readonly Counter<long> LedgerMovements = Meter.CreateCounter<long>("kiln_ledger_movements", description: "Ledger entries written, by kind.");
    public static readonly Counter<long> LedgerCredits = Meter.CreateCounter<long>("kiln_ledger_credits", description: "Credits moved, by kind (absolute value).");
    public static readonly Counter<long> WebhookDeliveries = Meter.CreateCounter<long>("kiln_webhook_deliveries", description: "Outbound webhook delivery attempts, by outcome (succeeded, retrying, failed).");
    public static readonly Counter<long> PaymentEvents = Meter.CreateCounter<long>("kiln_payment_events", description: "Payment provider events processed, by provider and outcome (processed, retrying, failed).");
    public static readonly Counter<long> StorageErrors = Meter.CreateCounter<long>("kiln_storage_errors", description: "Blob store operations that failed (disk or object store), by operation.");
}

using System.Diagnostics.Metrics;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Jobs;

/// <summary>
/// Gauges read from the database when they are collected (at scrape time), so every process that exports them reports
/// the same truth: queued and running jobs by pipeline, and the ready queue's depth and the age of its oldest job. The web host
/// exports them; workers do not, so a sum over processes does not count them twice.
/// </summary>
public sealed class JobGauges : IDisposable
{
    private readonly Meter _meter;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger<JobGauges> _log;

    /// <remarks>
    /// The meter comes from this container's <see cref="IMeterFactory"/>: OpenTelemetry collects a factory's meters only
    /// for the provider of the same container, so two hosts in one process (the tests) never read each other's database.
    /// </remarks>
    public JobGauges(IMeterFactory meters, IServiceScopeFactory scopes, TimeProvider time, ILogger<JobGauges> log)
    {
        _meter = meters.Create(KilnMetrics.MeterName);
        _scopes = scopes;
        _time = time;
        _log = log;
        _meter.CreateObservableGauge("kiln_jobs", Jobs, description: "Queued and running jobs by pipeline and status.");
        _meter.CreateObservableGauge("kiln_queue_depth", QueueDepth, description: "Jobs ready to run and waiting for a worker.");
        _meter.CreateObservableGauge("kiln_queue_oldest_age", QueueOldestAge, unit: "s", description: "How long the oldest job ready to run has been waiting for a worker (0 when none is).");

        _meter.CreateObservableGauge("kiln_workers_live", LiveWorkers, description: "Worker processes (or embedded runners) that heartbeated in the last minute.");
        _meter.CreateObservableGauge("kiln_worker_heartbeat_age", HeartbeatAge, unit: "s",
            description: "Seconds since the most recent heartbeat of any worker (absent before any worker ever ran).");
    }

    /// <remarks>
    /// Queued and running jobs only, counted from the partial index <c>ix_jobs_active_pipeline</c>: a scrape never reads
    /// the finished jobs, which only grow. Finished jobs are counted by <c>kiln_jobs_finished_total</c> instead.
    /// </remarks>
    private IEnumerable<Measurement<long>> Jobs() => Read<long>(db =>
        db.Jobs.IgnoreQueryFilters().Where(j => j.Status < JobStatus.Succeeded) // status < 2: the index's own predicate
            .GroupBy(j => new { j.PipelineId, j.Status })
            .Select(g => new { g.Key.PipelineId, g.Key.Status, Count = g.Count() }).ToList()
            .Select(j => new Measurement<long>(j.Count, new("pipeline", j.PipelineId), new("status", j.Status.WireName())))
            .ToList());

    private IEnumerable<Measurement<long>> QueueDepth() => Read<long>(db =>
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return [new Measurement<long>(db.Jobs.IgnoreQueryFilters().Count(j => j.Status == JobStatus.Queued && j.RunAfter <= now))];
    });

    private IEnumerable<Measurement<double>> QueueOldestAge() => Read<double>(db =>
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var oldest = db.Jobs.IgnoreQueryFilters().Where(j => j.Status == JobStatus.Queued && j.RunAfter <= now)
            .OrderBy(j => j.RunAfter).Select(j => (DateTime?)j.RunAfter).FirstOrDefault();
        return [new Measurement<double>(oldest is { } t ? Math.Max(0, (now - t).TotalSeconds) : 0)];
    });

    private IEnumerable<Measurement<long>> LiveWorkers() => Read<long>(db =>
    {
        var since = _time.GetUtcNow().UtcDateTime.AddMinutes(-1);
        return [new Measurement<long>(db.WorkerHeartbeats.Count(w => w.LastSeenAt >= since))];
    });

    /// <remarks>Workers silent for a day are forgotten (<c>WorkerHeartbeatService</c>); then the series disappears.</remarks>
    private IEnumerable<Measurement<double>> HeartbeatAge() => Read<double>(db =>
    {
        var last = db.WorkerHeartbeats.Select(w => (DateTime?)w.LastSeenAt).Max();
        return last is { } t ? [new Measurement<double>(Math.Max(0, (_time.GetUtcNow().UtcDateTime - t).TotalSeconds))] : [];
    });

    /// <summary>A collection that cannot read the database reports nothing for these gauges rather than failing the scrape.</summary>
    private List<Measurement<T>> Read<T>(Func<KilnDbContext, List<Measurement<T>>> query) where T : struct
    {
        try
        {
            using var scope = _scopes.CreateScope();
            return query(scope.ServiceProvider.GetRequiredService<KilnDbContext>());
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "Could not read the job gauges from the database");
            return [];
        }
    }

    public void Dispose() { } // the factory disposes its meters with the container
}

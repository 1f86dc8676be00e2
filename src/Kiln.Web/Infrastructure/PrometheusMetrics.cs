using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// A small Prometheus text exporter over <see cref="MeterListener"/> (the OpenTelemetry Prometheus exporter is not
/// obtainable here). It aggregates Kiln's meter and ASP.NET Core's request-duration histogram in this process; job
/// counts by pipeline and status and the queue depth are read from the database at scrape time, so every replica
/// reports the same truth.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800];
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), double> _counters = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Histogram> _histograms = new();
    private readonly ConcurrentDictionary<string, string> _help = new();
    private readonly TimeProvider _time;

    public PrometheusMetrics(TimeProvider time)
    {
        _time = time;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KilnMetrics.MeterName
                || (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == "http.server.request.duration"))
            {
                _help[Name(instrument)] = instrument.Description ?? instrument.Name;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private static string Name(Instrument i) => i.Name.Replace('.', '_') + (i.Unit == "s" && !i.Name.EndsWith("_seconds", StringComparison.Ordinal) ? "_seconds" : "");

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var name = Name(instrument);
        if (instrument is Histogram<double> or Histogram<long>)
            _histograms.GetOrAdd((name, labels), _ => new Histogram()).Observe(value);
        else
            _counters.AddOrUpdate((name + "_total", labels), value, (_, old) => old + value);
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var parts = new List<string>(tags.Length);
        foreach (var t in tags)
        {
            if (t.Key is "http.route" or "http.request.method" or "http.response.status_code" or "pipeline" or "status" or "outcome" or "kind")
                parts.Add($"{t.Key.Replace('.', '_')}=\"{Escape(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\"");
        }
        parts.Sort(StringComparer.Ordinal);
        return string.Join(',', parts);
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    public async Task<string> ScrapeAsync(KilnDbContext db, CancellationToken ct)
    {
        var sb = new StringBuilder();
        var jobs = await db.Jobs.IgnoreQueryFilters().GroupBy(j => new { j.PipelineId, j.Status })
            .Select(g => new { g.Key.PipelineId, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        sb.Append("# HELP kiln_jobs Jobs in the database by pipeline and status.\n# TYPE kiln_jobs gauge\n");
        foreach (var j in jobs)
            sb.Append(CultureInfo.InvariantCulture, $"kiln_jobs{{pipeline=\"{Escape(j.PipelineId)}\",status=\"{j.Status.WireName()}\"}} {j.Count}\n");
        var now = _time.GetUtcNow().UtcDateTime;
        var depth = await db.Jobs.IgnoreQueryFilters().CountAsync(j => j.Status == Core.Jobs.JobStatus.Queued && j.RunAfter <= now, ct);
        sb.Append(CultureInfo.InvariantCulture, $"# HELP kiln_queue_depth Jobs ready to run and waiting for a worker.\n# TYPE kiln_queue_depth gauge\nkiln_queue_depth {depth}\n");

        foreach (var group in _counters.GroupBy(c => c.Key.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {group.Key} {_help.GetValueOrDefault(group.Key[..^"_total".Length], group.Key)}\n# TYPE {group.Key} counter\n");
            foreach (var c in group) sb.Append(CultureInfo.InvariantCulture, $"{group.Key}{Braces(c.Key.Labels)} {c.Value}\n");
        }
        foreach (var group in _histograms.GroupBy(h => h.Key.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {group.Key} {_help.GetValueOrDefault(group.Key, group.Key)}\n# TYPE {group.Key} histogram\n");
            foreach (var h in group) h.Value.Write(sb, group.Key, h.Key.Labels);
        }
        return sb.ToString();
    }

    private static string Braces(string labels) => labels.Length == 0 ? "" : "{" + labels + "}";

    public void Dispose() => _listener.Dispose();

    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length];
        private long _count;
        private double _sum;
        private readonly object _gate = new();

        public void Observe(double v)
        {
            lock (_gate)
            {
                for (var i = 0; i < Buckets.Length; i++) if (v <= Buckets[i]) _counts[i]++;
                _count++;
                _sum += v;
            }
        }

        public void Write(StringBuilder sb, string name, string labels)
        {
            lock (_gate)
            {
                var sep = labels.Length == 0 ? "" : labels + ",";
                for (var i = 0; i < Buckets.Length; i++)
                    sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{sep}le=\"{Buckets[i]}\"}} {_counts[i]}\n");
                sb.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{sep}le=\"+Inf\"}} {_count}\n");
                sb.Append(CultureInfo.InvariantCulture, $"{name}_sum{Braces(labels)} {_sum}\n{name}_count{Braces(labels)} {_count}\n");
            }
        }
    }
}

internal static class KilnMetricsWeb
{
    public static void JobCreated(string pipeline) => KilnMetrics.JobsCreated.Add(1, new KeyValuePair<string, object?>("pipeline", pipeline));
}

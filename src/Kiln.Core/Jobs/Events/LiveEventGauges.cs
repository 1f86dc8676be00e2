using System.Diagnostics.Metrics;
using Kiln.Core.Common;

namespace Kiln.Core.Jobs.Events;

/// <summary>The live channel's gauges, read from memory at scrape time: open event streams and LISTEN (re)connections.</summary>
public sealed class LiveEventGauges : IDisposable
{
    private readonly Meter _meter;

    public LiveEventGauges(IMeterFactory meters, EventHub hub, PostgresEventListener listener)
    {
        _meter = meters.Create(KilnMetrics.MeterName);
        _meter.CreateObservableGauge("kiln_event_streams", () => (long)hub.Subscribers, description: "Open live event streams (SSE) on this web process.");
        _meter.CreateObservableCounter("kiln_event_listener_connections", () => (long)listener.Connections,
            description: "Times this process opened its LISTEN connection (more than 1: it reconnected after PostgreSQL went away).");
    }

    public void Dispose() => _meter.Dispose();
}

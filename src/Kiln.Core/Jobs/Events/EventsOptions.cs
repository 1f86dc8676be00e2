namespace Kiln.Core.Jobs.Events;

/// <summary>Bound from <c>Kiln:Events</c>: the live channel (<c>GET /api/events</c>, <c>GET /api/jobs/{id}/events</c>).</summary>
public sealed class EventsOptions
{
    public const string Section = "Kiln:Events";

    /// <summary>
    /// The backstop for a lost notification: once per this many seconds, each web process (not each subscriber) asks
    /// the database whether events or ledger entries exist that it was not told about, and wakes their subscribers.
    /// </summary>
    public double SafetyPollSeconds { get; set; } = 15;

    /// <summary>An idle stream sends an SSE comment this often, so proxies and load balancers keep it open.</summary>
    public double KeepAliveSeconds { get; set; } = 15;

    /// <summary>
    /// A stream ends after this long and the browser reconnects (resuming by Last-Event-ID): the reconnect runs the
    /// authentication and membership checks again, so a removed member or a revoked API key stops hearing events.
    /// </summary>
    public double MaxStreamMinutes { get; set; } = 30;

    /// <summary>The longest wait between attempts to re-open the LISTEN connection after PostgreSQL went away.</summary>
    public double ReconnectMaxSeconds { get; set; } = 30;

    /// <summary>
    /// Benchmarks only: &gt; 0 makes <c>GET /api/jobs/{id}/events</c> poll the log every this many milliseconds (two
    /// queries per tick, the design before the notifier) instead of waiting for a notification.
    /// </summary>
    public int LegacyPollMilliseconds { get; set; }
}

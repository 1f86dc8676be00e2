using Kiln.Core.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Core.Jobs.Events;

/// <summary>
/// One dedicated LISTEN connection per web process on <see cref="Channel"/>. Every writing process sends the notices
/// right after its commits (<see cref="PostgresEventNotifier"/>; the job-creation statement sends its own), so a job run
/// by a worker on another machine wakes the streams here. When the connection drops (PostgreSQL restarted, the backend
/// was terminated) it reconnects with backoff and wakes every subscriber to re-read: nothing is lost, because the log
/// is the source of truth.
/// </summary>
public sealed class PostgresEventListener(IOptions<DatabaseOptions> db, IOptions<EventsOptions> options, EventHub hub, ILogger<PostgresEventListener> log)
    : BackgroundService
{
    public const string Channel = "kiln_events";
    public const string ApplicationName = "kiln-events";

    /// <summary>How many times the LISTEN connection has been (re)opened — tests and metrics read it.</summary>
    public int Connections => _connections;
    private int _connections;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (db.Value.Provider != DatabaseProvider.Postgres) return;
        var csb = new NpgsqlConnectionStringBuilder(db.Value.ConnectionString)
        {
            ApplicationName = ApplicationName, Pooling = false, KeepAlive = 30,
        };
        var delay = TimeSpan.FromMilliseconds(250);
        var max = TimeSpan.FromSeconds(Math.Max(1, options.Value.ReconnectMaxSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(csb.ToString());
                await conn.OpenAsync(stoppingToken);
                conn.Notification += (_, e) => { if (Parse(e.Payload) is { } n) hub.Publish(n); };
                await using (var cmd = new NpgsqlCommand($"LISTEN {Channel}", conn))
                    await cmd.ExecuteNonQueryAsync(stoppingToken);
                if (Interlocked.Increment(ref _connections) > 1) log.LogInformation("LISTEN {Channel} is back; every live stream re-reads", Channel);
                delay = TimeSpan.FromMilliseconds(250);
                // Whatever was written while nobody listened: every subscriber reads after its own cursor.
                hub.WakeAll();
                while (!stoppingToken.IsCancellationRequested) await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception ex)
            {
                log.LogWarning(ex, "LISTEN {Channel} lost; reconnecting in {Delay}", Channel, delay);
                hub.WakeAll();
                try { await Task.Delay(delay, stoppingToken); } catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromTicks(Math.Min(max.Ticks, delay.Ticks * 2));
            }
        }
    }

    /// <summary>"&lt;workspace&gt;:&lt;job&gt;:&lt;event id&gt;" or "&lt;workspace&gt;:credits:&lt;ledger entry id&gt;".</summary>
    public static EventNotice? Parse(string payload)
    {
        var parts = payload.Split(':');
        if (parts.Length != 3 || !Guid.TryParse(parts[0], out var ws)) return null;
        _ = long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id);
        if (parts[1] == "credits") return new EventNotice(ws, null, id);
        return Guid.TryParse(parts[1], out var job) ? new EventNotice(ws, job, id) : null;
    }
}

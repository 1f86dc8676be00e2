using System.Threading.Channels;
using Kiln.Core.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Core.Jobs.Events;

/// <summary>
/// Sends the live channel's NOTIFYs on PostgreSQL, right after the writes commit, from every process that writes (web,
/// worker). Not in the writers' own transactions: a transaction that NOTIFYs takes a database-wide lock from its
/// pre-commit until after its WAL flush, so it loses group commit — on this machine 8 writers inserting one event each
/// fell from about 3,600 to 150 commits/s once the insert also notified. Here the notices of every commit that
/// happened while the previous send was running go out together in one transaction, so the lock is taken once per
/// batch and never by a job's own write. Job creation also asks it to wake the workers (<see cref="WakeWorkers"/>): one
/// NOTIFY on the queue's channel rides in the same send. A notice lost in a crash is caught by <see cref="EventSafetyPoll"/>,
/// a lost wake-up by the workers' poll.
/// </summary>
public sealed class PostgresEventNotifier(IOptions<DatabaseOptions> db, ILogger<PostgresEventNotifier> log) : BackgroundService
{
    private readonly Channel<EventNotice> _queue = Channel.CreateUnbounded<EventNotice>(new UnboundedChannelOptions { SingleReader = true });

    private bool Enabled => db.Value.Provider == DatabaseProvider.Postgres;

    /// <summary>Stands for "wake the workers" in the queue (no event has workspace Guid.Empty).</summary>
    private static readonly EventNotice WakeMarker = new(Guid.Empty, null, -1);

    /// <summary>Queues a notice for a committed write (no-op on SQLite).</summary>
    public void Notify(EventNotice notice)
    {
        if (Enabled) _queue.Writer.TryWrite(notice);
    }

    /// <summary>
    /// Queues a NOTIFY on <see cref="Queue.JobSignal.Channel"/> after a committed job creation, so idle workers in every
    /// process claim at once (no-op on SQLite). Many creations in one send make one wake-up.
    /// </summary>
    public void WakeWorkers() => Notify(WakeMarker);

    /// <summary>The NOTIFY payload (see <see cref="PostgresEventListener.Parse"/>).</summary>
    public static string Payload(EventNotice n) => n.JobId is { } job ? $"{n.WorkspaceId}:{job}:{n.Id}" : $"{n.WorkspaceId}:credits:{n.Id}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled) return;
        var reader = _queue.Reader;
        while (true)
        {
            try { if (!await reader.WaitToReadAsync(stoppingToken)) return; }
            catch (OperationCanceledException) { return; }
            // One notice per (workspace, job) or workspace's credits, with the highest id: readers re-read the log anyway.
            var batch = new Dictionary<(Guid, Guid?), long>();
            var wake = false;
            while (reader.TryRead(out var n))
            {
                if (n == WakeMarker) { wake = true; continue; }
                batch[(n.WorkspaceId, n.JobId)] = Math.Max(n.Id, batch.GetValueOrDefault((n.WorkspaceId, n.JobId)));
            }
            // The workers' wake-up first: a claim waits on it, a live reader only refreshes a page.
            var channels = new List<string>(batch.Count + 1);
            var payloads = new List<string>(batch.Count + 1);
            if (wake) { channels.Add(Queue.JobSignal.Channel); payloads.Add(""); }
            foreach (var kv in batch)
            {
                channels.Add(PostgresEventListener.Channel);
                payloads.Add(Payload(new EventNotice(kv.Key.Item1, kv.Key.Item2, kv.Value)));
            }
            try
            {
                await using var conn = new NpgsqlConnection(db.Value.ConnectionString);
                await conn.OpenAsync(stoppingToken);
                await using var cmd = new NpgsqlCommand("SELECT count(pg_notify(c, p)) FROM unnest(@c, @p) AS t(c, p)", conn);
                cmd.Parameters.Add(new NpgsqlParameter<string[]>("c", [.. channels]));
                cmd.Parameters.Add(new NpgsqlParameter<string[]>("p", [.. payloads]));
                await cmd.ExecuteScalarAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                // The safety poll delivers what this missed; waiting a little keeps a down database from being hammered.
                log.LogWarning(ex, "Sending {Count} live event notices failed", payloads.Count);
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
    }
}

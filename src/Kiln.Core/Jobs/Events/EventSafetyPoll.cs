using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Events;

/// <summary>
/// The backstop behind the notices, per process rather than per subscriber: every <see cref="EventsOptions.SafetyPollSeconds"/>
/// two indexed range reads ask for job events and ledger entries with ids above the highest any notice named, and publish
/// them as notices. It catches what no notice reported: writes by another process on SQLite (a worker or the CLI sharing
/// the file), or a notice lost with a LISTEN connection. 1,000 idle streams cost the same as none.
/// </summary>
public sealed class EventSafetyPoll(IServiceScopeFactory scopes, EventHub hub, IOptions<EventsOptions> options, ILogger<EventSafetyPoll> log)
    : BackgroundService
{
    private const int Limit = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var first = true;
        var period = TimeSpan.FromSeconds(Math.Max(0.1, options.Value.SafetyPollSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(first, stoppingToken);
                first = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { log.LogWarning(ex, "Live events safety poll failed"); }
            try { await Task.Delay(period, stoppingToken); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One pass; the first one only marks where the log ends (older events are history, not news).</summary>
    internal async Task PassAsync(bool first, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
        var (events, entries) = hub.Seen;
        if (first)
        {
            var lastEvent = await db.JobEvents.IgnoreQueryFilters().MaxAsync(e => (long?)e.Id, ct) ?? 0;
            var lastEntry = await db.LedgerEntries.IgnoreQueryFilters().MaxAsync(e => (long?)e.Id, ct) ?? 0;
            hub.MarkSeen(lastEvent, lastEntry);
            return;
        }
        var jobs = await db.JobEvents.IgnoreQueryFilters().AsNoTracking().Where(e => e.Id > events)
            .GroupBy(e => new { e.WorkspaceId, e.JobId }).Select(g => new { g.Key.WorkspaceId, g.Key.JobId, Id = g.Max(e => e.Id) })
            .Take(Limit).ToListAsync(ct);
        var credits = await db.LedgerEntries.IgnoreQueryFilters().AsNoTracking().Where(e => e.Id > entries)
            .GroupBy(e => e.WorkspaceId).Select(g => new { WorkspaceId = g.Key, Id = g.Max(e => e.Id) })
            .Take(Limit).ToListAsync(ct);
        foreach (var j in jobs) hub.Publish(new EventNotice(j.WorkspaceId, j.JobId, j.Id));
        foreach (var c in credits) hub.Publish(new EventNotice(c.WorkspaceId, null, c.Id));
        if (jobs.Count == Limit || credits.Count == Limit) hub.WakeAll();
    }
}

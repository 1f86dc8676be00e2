using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Webhooks;

/// <summary>
/// Turns the job event log into deliveries, outside the queue's hot path: reads status events (and progress, for
/// <c>job.started</c>) after a persisted cursor and inserts one delivery per subscribed, enabled endpoint with
/// insert-if-absent on (endpoint, event key) — so any number of processes can run it at once.
/// <para>
/// Identity ids are handed out before commit, so a slow transaction can make id 100 visible after id 101. Events younger
/// than <see cref="WebhookOptions.RescanSeconds"/> are therefore read again on every pass, and the cursor only moves
/// past an event once it is that old (anything with a smaller id was inserted before it and has committed by then).
/// </para>
/// </summary>
public sealed class WebhookFanOut(KilnDbContext db, TimeProvider clock, IOptions<WebhookOptions> options)
{
    public const string CursorName = "job-events";

    /// <summary>One pass over up to <paramref name="batch"/> events; returns how many deliveries it created.</summary>
    public async Task<int> RunAsync(int batch, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var position = await PositionAsync(now, ct);
        // Progress events only matter when someone wants job.started; they are most of the log.
        var wantsStarted = await db.Set<WebhookEndpoint>().IgnoreQueryFilters()
            .AnyAsync(e => e.Enabled && e.EventTypes.Contains(WebhookEventTypes.JobStarted), ct);
        var events = await db.JobEvents.IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.Id > position && (e.Type == JobEventTypes.Status || (wantsStarted && e.Type == JobEventTypes.Progress)))
            .OrderBy(e => e.Id).Take(batch).ToListAsync(ct);
        if (events.Count == 0) return 0;

        var created = await FanOutAsync(events, now, ct);

        var settledBefore = now - TimeSpan.FromSeconds(options.Value.RescanSeconds);
        var settled = events.Where(e => e.CreatedAt <= settledBefore).Select(e => e.Id).DefaultIfEmpty(position).Max();
        if (settled > position)
        {
            // Several scanners may race; the cursor only ever moves forward.
            await db.Set<WebhookCursor>().Where(c => c.Name == CursorName && c.Position < settled)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Position, settled).SetProperty(c => c.UpdatedAt, now), ct);
        }
        return created;
    }

    private async Task<int> FanOutAsync(List<JobEvent> events, DateTime now, CancellationToken ct)
    {
        var workspaces = events.Select(e => e.WorkspaceId).Distinct().ToList();
        var endpoints = await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.Enabled && workspaces.Contains(e.WorkspaceId)).ToListAsync(ct);
        if (endpoints.Count == 0) return 0;

        var messages = new List<(JobEvent Event, string Type, string Key, string Status, string? Code, string? Message)>();
        foreach (var e in events)
        {
            if (e.Type == JobEventTypes.Progress)
            {
                messages.Add((e, WebhookEventTypes.JobStarted, "", "running", null, null));
                continue;
            }
            using var doc = JsonDocument.Parse(e.DataJson);
            var status = doc.RootElement.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var type = status switch
            {
                "succeeded" => WebhookEventTypes.JobSucceeded,
                "failed" => WebhookEventTypes.JobFailed,
                "canceled" => WebhookEventTypes.JobCanceled,
                _ => null,
            };
            if (type is null) continue;
            messages.Add((e, type, $"event:{e.Id}", status!, Str(doc.RootElement, "code"), Str(doc.RootElement, "message")));
        }
        var wanted = messages.Where(m => endpoints.Any(p => p.WorkspaceId == m.Event.WorkspaceId && p.Subscribes(m.Type))).ToList();
        if (wanted.Count == 0) return 0;

        var jobIds = wanted.Select(m => m.Event.JobId).Distinct().ToList();
        var jobs = await db.Jobs.IgnoreQueryFilters().AsNoTracking().Where(j => jobIds.Contains(j.Id)).ToDictionaryAsync(j => j.Id, ct);

        var rows = new List<WebhookDelivery>();
        foreach (var m in wanted)
        {
            if (!jobs.TryGetValue(m.Event.JobId, out var job)) continue;
            // job.started: one per attempt, however many progress events the attempt writes.
            var key = m.Type == WebhookEventTypes.JobStarted ? $"started:{job.Id:N}:{job.Attempt}" : m.Key;
            var payload = WebhookPayloads.Serialize(m.Type, m.Event.CreatedAt, WebhookPayloads.JobData(job, m.Status, m.Code, m.Message, options.Value.PublicBaseUrl));
            foreach (var endpoint in endpoints)
            {
                // An endpoint hears about what happens after it was added, never the history before it.
                if (endpoint.WorkspaceId != job.WorkspaceId || !endpoint.Subscribes(m.Type) || endpoint.CreatedAt > m.Event.CreatedAt) continue;
                if (rows.Any(r => r.EndpointId == endpoint.Id && r.EventKey == key)) continue;
                rows.Add(new WebhookDelivery
                {
                    Id = Ids.New(), EndpointId = endpoint.Id, WorkspaceId = job.WorkspaceId, EventType = m.Type, EventKey = key,
                    MessageId = WebhookPayloads.NewMessageId(), Payload = payload, JobId = job.Id, Status = WebhookDeliveryStatus.Pending,
                    NextAttemptAt = now, CreatedAt = now,
                });
            }
        }
        if (rows.Count == 0) return 0;

        // Most rows of a re-scanned window exist already: skip those without a write.
        var endpointIds = rows.Select(r => r.EndpointId).Distinct().ToList();
        var keys = rows.Select(r => r.EventKey).Distinct().ToList();
        var existing = (await db.Set<WebhookDelivery>().IgnoreQueryFilters().AsNoTracking()
                .Where(d => endpointIds.Contains(d.EndpointId) && keys.Contains(d.EventKey)).Select(d => new { d.EndpointId, d.EventKey }).ToListAsync(ct))
            .Select(x => (x.EndpointId, x.EventKey)).ToHashSet();
        var created = 0;
        foreach (var r in rows.Where(r => !existing.Contains((r.EndpointId, r.EventKey))))
            created += await InsertIfAbsentAsync(r, ct);
        return created;
    }

    /// <summary>INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL): a concurrent scanner's row wins quietly.</summary>
    private Task<int> InsertIfAbsentAsync(WebhookDelivery d, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO webhook_deliveries (id, endpoint_id, workspace_id, event_type, event_key, message_id, payload, job_id, status, attempts,
                next_attempt_at, created_at)
            VALUES ({d.Id}, {d.EndpointId}, {d.WorkspaceId}, {d.EventType}, {d.EventKey}, {d.MessageId}, {d.Payload}, {d.JobId}, {(int)d.Status}, 0,
                {d.NextAttemptAt}, {d.CreatedAt})
            ON CONFLICT (endpoint_id, event_key) DO NOTHING
            """, ct);

    /// <summary>The cursor; the first pass ever starts at the end of the log (endpoints get no history).</summary>
    private async Task<long> PositionAsync(DateTime now, CancellationToken ct)
    {
        var position = await db.Set<WebhookCursor>().AsNoTracking().Where(c => c.Name == CursorName).Select(c => (long?)c.Position).FirstOrDefaultAsync(ct);
        if (position is { } p) return p;
        var end = await db.JobEvents.IgnoreQueryFilters().MaxAsync(e => (long?)e.Id, ct) ?? 0;
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO webhook_cursors (name, position, updated_at) VALUES ({CursorName}, {end}, {now}) ON CONFLICT (name) DO NOTHING", ct);
        return await db.Set<WebhookCursor>().AsNoTracking().Where(c => c.Name == CursorName).Select(c => c.Position).FirstAsync(ct);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

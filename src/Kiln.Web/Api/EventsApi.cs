using System.Globalization;
using System.Text;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Events;
using Kiln.Web.Infrastructure;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Api;

/// <summary>
/// The live channel: Server-Sent Events of a whole workspace (<c>GET /api/events</c>) and of one job
/// (<c>GET /api/jobs/{id}/events</c>, mapped in <see cref="JobsApi"/>). A stream reads the job event log after its own
/// cursor only when the <see cref="EventHub"/> wakes it (a NOTIFY from PostgreSQL, SQLite's commit hook, or the
/// per-process safety poll); an idle stream costs no database work, only a keep-alive comment now and then. Any web
/// replica serves any workspace, whichever worker runs its jobs; Last-Event-ID resumes where a dropped connection stopped.
/// </summary>
public static class EventsApi
{
    private const int Batch = 200;
    /// <summary>How long a sent id is re-checked for older ids that committed after it (see <see cref="EventCursor"/>).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/events", Workspace).WithTags("Events")
            .WithSummary("Stream every job of the workspace (job.queued, job.progress, job.succeeded, job.failed, job.canceled) and credits.changed as Server-Sent Events; resumes after Last-Event-ID or ?after=.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream"); // written as it happens, so no typed result
        return api;
    }

    private static async Task Workspace(HttpContext http, CurrentUser user, EventHub hub, LiveEventsQuery live, GetBalanceQuery balances,
        IOptions<EventsOptions> options, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        var workspace = user.Workspace;
        // Subscribed and joined to the workspace's shared read before anything is read: every row the feed reads from
        // here on reaches this stream.
        using var subscription = hub.Subscribe(workspace);
        var feed = subscription.Feed!;
        try
        {
            var position = await feed.JoinAsync(live, clock, Settle, ct);
            var resume = ResumeFrom(http);
            var start = resume ?? position.Low;
            var highest = start;
            var sse = new SseWriter(http.Response);
            await sse.StartAsync(ct);
            Balance? sent = null;
            async Task SendBalanceAsync()
            {
                if (!subscription.TakeCreditsChange()) return;
                var balance = await feed.BalanceAsync(balances, subscription.CreditsVersion, () => subscription.CreditsVersion, ct);
                // Credit events carry no id: they are state, not history. A (re)connect always starts with the balance.
                if (balance != sent) sse.Event(null, LiveEventTypes.CreditsChanged, LiveEventTypes.CreditsData(balance));
                sent = balance;
            }
            await SendBalanceAsync();
            // A resumed stream reads its backlog from the log itself; a row the feed brings too is sent once.
            var sentEarlier = new HashSet<long>();
            if (resume is { } from)
            {
                var cursor = new EventCursor(from, clock, Settle);
                while (true)
                {
                    var mark = cursor.SettledMark();
                    var batch = await live.ForWorkspace(workspace, cursor.Low, cursor.Recent, Batch, ct);
                    foreach (var e in batch)
                    {
                        cursor.Sent(e.Id);
                        if (e.Id > position.Low && !position.Recent.Contains(e.Id)) sentEarlier.Add(e.Id);
                        if (LiveEventTypes.Map(e) is { } wire) sse.Event(e.Id, wire.Type, wire.Data);
                        highest = Math.Max(highest, e.Id);
                    }
                    if (batch.Count < Batch) { cursor.Advance(mark); break; }
                }
            }
            var seq = position.Seq;
            var deadline = clock.GetUtcNow() + TimeSpan.FromMinutes(options.Value.MaxStreamMinutes);
            while (true)
            {
                var pulse = subscription.Next;
                var version = subscription.Version;
                await SendBalanceAsync();
                await feed.CatchUpAsync(live, version, ct);
                if (feed.Take(seq) is not { } taken)
                {
                    // This client fell a whole buffer behind: it reconnects and resumes from the log with its Last-Event-ID.
                    await sse.CloseAsync(highest > start ? highest : null, ct);
                    return;
                }
                foreach (var e in taken.Events)
                {
                    if (sentEarlier.Count > 0 && sentEarlier.Remove(e.Id)) continue;
                    if (LiveEventTypes.Map(e) is { } wire) sse.Event(e.Id, wire.Type, wire.Data);
                    highest = Math.Max(highest, e.Id);
                }
                seq = taken.Next;
                await sse.FlushAsync(ct);
                if (!await WaitAsync(sse, pulse, options.Value, deadline, clock, ct))
                {
                    await sse.CloseAsync(highest > start ? highest : null, ct);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>The job stream (<c>GET /api/jobs/{id}/events</c>): every event of one job, then <c>event: end</c> once it finished.</summary>
    internal static async Task Job(Guid id, HttpContext http, CurrentUser user, GetJobQuery jobs, LiveEventsQuery live, EventHub hub,
        IOptions<EventsOptions> options, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        var workspace = user.Workspace;
        using var subscription = hub.Subscribe(workspace, id);
        try
        {
            if (await jobs.Run(workspace, id, ct) is not { } job)
            {
                await Problems.NotFound("Job").ExecuteAsync(http);
                return;
            }
            var start = ResumeFrom(http) ?? 0;
            var cursor = new EventCursor(start, clock, Settle);
            var finished = job.IsFinished;
            var sse = new SseWriter(http.Response);
            await sse.StartAsync(ct);
            var o = options.Value;
            var deadline = clock.GetUtcNow() + TimeSpan.FromMinutes(o.MaxStreamMinutes);
            while (true)
            {
                var pulse = subscription.Next;
                var ended = false;
                while (true)
                {
                    var mark = cursor.SettledMark();
                    var batch = await live.ForJob(workspace, id, cursor.Low, cursor.Recent, Batch, ct);
                    foreach (var e in batch)
                    {
                        cursor.Sent(e.Id);
                        sse.Event(e.Id, e.Type, e.DataJson);
                        ended |= e.Type == JobEventTypes.Status && IsFinal(e.DataJson);
                    }
                    if (batch.Count < Batch) { cursor.Advance(mark); break; }
                }
                await sse.FlushAsync(ct);
                // The final status event and the job's final state commit together; the job row is only read to confirm it
                // (or, in the benchmark's legacy mode, on every tick as the old poll did).
                if ((ended && !finished) || o.LegacyPollMilliseconds > 0) finished = (await jobs.Run(workspace, id, ct))?.IsFinished ?? true;
                if (finished)
                {
                    sse.Event(null, "end", "{}");
                    await sse.FlushAsync(ct);
                    return;
                }
                if (o.LegacyPollMilliseconds > 0)
                {
                    await Task.Delay(o.LegacyPollMilliseconds, ct);
                    continue;
                }
                if (!await WaitAsync(sse, pulse, o, deadline, clock, ct))
                {
                    await sse.CloseAsync(cursor.Highest > start ? cursor.Highest : null, ct);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Waits for a wake-up, writing keep-alive comments meanwhile; false when the stream's lifetime is over.</summary>
    private static async Task<bool> WaitAsync(SseWriter sse, Task pulse, EventsOptions o, DateTimeOffset deadline, TimeProvider clock, CancellationToken ct)
    {
        var keepAlive = TimeSpan.FromSeconds(Math.Max(1, o.KeepAliveSeconds));
        while (true)
        {
            var left = deadline - clock.GetUtcNow();
            if (left <= TimeSpan.Zero) return false;
            if (await EventSubscription.WaitAsync(pulse, left < keepAlive ? left : keepAlive, ct)) return true;
            await sse.CommentAsync("keep-alive", ct);
        }
    }

    private static bool IsFinal(string dataJson) =>
        dataJson.Contains("\"succeeded\"", StringComparison.Ordinal) || dataJson.Contains("\"failed\"", StringComparison.Ordinal)
        || dataJson.Contains("\"canceled\"", StringComparison.Ordinal);

    /// <summary>Last-Event-ID (sent by EventSource when it reconnects) or <c>?after=</c> (the id a page was rendered at).</summary>
    private static long? ResumeFrom(HttpContext http)
    {
        if (long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var last)) return last;
        return long.TryParse(http.Request.Query["after"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var after) ? after : null;
    }

    /// <summary>The wire format: "id:", "event:", one "data:" line of JSON, a blank line; comments start with ':'.</summary>
    private sealed class SseWriter(HttpResponse response)
    {
        private readonly StringBuilder _pending = new();

        public async Task StartAsync(CancellationToken ct)
        {
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            await response.WriteAsync("retry: 2000\n\n", ct);
            await response.Body.FlushAsync(ct);
        }

        public void Event(long? id, string type, string data)
        {
            if (id is { } i) _pending.Append("id: ").Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n');
            _pending.Append("event: ").Append(type).Append("\ndata: ").Append(data).Append("\n\n");
        }

        public async Task FlushAsync(CancellationToken ct)
        {
            if (_pending.Length == 0) return;
            var text = _pending.ToString();
            _pending.Clear();
            await response.WriteAsync(text, ct);
            await response.Body.FlushAsync(ct);
        }

        public async Task CommentAsync(string text, CancellationToken ct)
        {
            await response.WriteAsync($": {text}\n\n", ct);
            await response.Body.FlushAsync(ct);
        }

        /// <summary>Ends the stream; an id-only block moves the client's Last-Event-ID to where this stream got to.</summary>
        public async Task CloseAsync(long? lastId, CancellationToken ct)
        {
            if (lastId is { } id) _pending.Append("id: ").Append(id.ToString(CultureInfo.InvariantCulture)).Append("\n\n");
            await FlushAsync(ct);
        }
    }
}

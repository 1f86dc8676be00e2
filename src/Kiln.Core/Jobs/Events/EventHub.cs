using System.Collections.Concurrent;

namespace Kiln.Core.Jobs.Events;

/// <summary>What changed: a job's event log (<see cref="JobId"/> set) or a workspace's credits (<see cref="JobId"/> null).</summary>
/// <param name="Id">The job event id or the ledger entry id, when known (0 otherwise).</param>
public readonly record struct EventNotice(Guid WorkspaceId, Guid? JobId, long Id)
{
    public bool IsCredits => JobId is null;
}

/// <summary>
/// The in-process side of the live channel: subscribers (open SSE streams) wait on an async pulse per workspace and per
/// job; a notice (from PostgreSQL NOTIFY, the SQLite commit hook or the safety poll) fires the pulses of its workspace and
/// job. A job's subscriber reads the event log after its own cursor; a workspace's subscribers share one read through the
/// topic's <see cref="WorkspaceFeed"/>. A notice carries no data — the log is the
/// source of truth — so a duplicate or a spurious wake-up only costs one read, and <see cref="WakeAll"/> after a lost
/// connection loses nothing. Idle subscribers cost no database work at all. Every job notice also drops that job's
/// cached status response (<see cref="JobStatusCache"/>), and <see cref="WakeAll"/> drops them all.
/// </summary>
public sealed class EventHub(JobStatusCache? statusCache = null)
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<(Guid Workspace, Guid Job), Topic> _topics = new();
    private long _lastJobEventId;
    private long _lastLedgerEntryId;

    /// <summary>Open subscriptions (for metrics and the benchmark).</summary>
    public int Subscribers { get { lock (_gate) return _topics.Values.Sum(t => t.Refs); } }

    /// <summary>The highest job event id and ledger entry id a notice named; the safety poll reads past these.</summary>
    public (long JobEvents, long LedgerEntries) Seen => (Interlocked.Read(ref _lastJobEventId), Interlocked.Read(ref _lastLedgerEntryId));

    /// <summary>Subscribes to a workspace's jobs and credits, or (with <paramref name="jobId"/>) to one job.</summary>
    public EventSubscription Subscribe(Guid workspaceId, Guid? jobId = null)
    {
        var key = (workspaceId, jobId ?? Guid.Empty);
        Topic topic;
        lock (_gate)
        {
            topic = _topics.GetOrAdd(key, k => new Topic(k.Job == Guid.Empty ? k.Workspace : null));
            topic.Refs++;
        }
        return new EventSubscription(this, key, topic);
    }

    public void Publish(EventNotice notice)
    {
        if (notice.IsCredits) Raise(ref _lastLedgerEntryId, notice.Id); else Raise(ref _lastJobEventId, notice.Id);
        if (notice.JobId is { } changed) statusCache?.Invalidate(changed); // before the wake-up: a woken reader must not see the old copy
        if (_topics.TryGetValue((notice.WorkspaceId, Guid.Empty), out var workspace)) workspace.Fire(notice.IsCredits);
        if (notice.JobId is { } job && _topics.TryGetValue((notice.WorkspaceId, job), out var one)) one.Fire(credits: false);
    }

    /// <summary>Wakes every subscriber to re-read (after the LISTEN connection was lost and is back).</summary>
    public void WakeAll()
    {
        statusCache?.Clear();
        foreach (var topic in _topics.Values) topic.Fire(credits: true);
    }

    /// <summary>Moves the safety poll's marks without waking anyone (at start: everything before now is history).</summary>
    public void MarkSeen(long jobEventId, long ledgerEntryId)
    {
        Raise(ref _lastJobEventId, jobEventId);
        Raise(ref _lastLedgerEntryId, ledgerEntryId);
    }

    internal void Release((Guid, Guid) key, Topic topic)
    {
        lock (_gate)
        {
            if (--topic.Refs == 0) _topics.TryRemove(new KeyValuePair<(Guid, Guid), Topic>(key, topic));
        }
    }

    private static void Raise(ref long mark, long value)
    {
        var current = Interlocked.Read(ref mark);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref mark, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    internal sealed class Topic
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource _pulse = NewPulse();
        private long _creditsVersion;
        private long _version;
        public int Refs; // guarded by EventHub._gate

        /// <param name="workspaceId">Set for a workspace's topic, whose streams share one <see cref="WorkspaceFeed"/>.</param>
        public Topic(Guid? workspaceId)
        {
            if (workspaceId is { } ws) Feed = new WorkspaceFeed(ws, () => Version);
        }

        public WorkspaceFeed? Feed { get; }
        public Task Next { get { lock (_gate) return _pulse.Task; } }
        public long CreditsVersion => Interlocked.Read(ref _creditsVersion);
        /// <summary>How many times the topic was woken: a read that started at version V has seen every write notified up to V.</summary>
        public long Version => Interlocked.Read(ref _version);

        public void Fire(bool credits)
        {
            if (credits) Interlocked.Increment(ref _creditsVersion);
            Interlocked.Increment(ref _version);
            TaskCompletionSource fired;
            lock (_gate)
            {
                fired = _pulse;
                _pulse = NewPulse();
            }
            fired.TrySetResult();
        }

        private static TaskCompletionSource NewPulse() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>One open stream's interest. Take <see cref="Next"/> BEFORE reading and wait on it after, so a notice that
/// arrives during the read is not lost.</summary>
public sealed class EventSubscription : IDisposable
{
    private readonly EventHub _hub;
    private readonly (Guid, Guid) _key;
    private readonly EventHub.Topic _topic;
    private long _creditsSeen = -1;
    private int _disposed;

    internal EventSubscription(EventHub hub, (Guid, Guid) key, EventHub.Topic topic) => (_hub, _key, _topic) = (hub, key, topic);

    public Task Next => _topic.Next;

    /// <summary>The wake-ups so far (see <see cref="WorkspaceFeed.CatchUpAsync"/>).</summary>
    public long Version => _topic.Version;

    public long CreditsVersion => _topic.CreditsVersion;

    /// <summary>The workspace's shared read, for a workspace subscription; null for a job's.</summary>
    public WorkspaceFeed? Feed => _topic.Feed;

    /// <summary>True (once per change) when the workspace's credits may have changed since the last call; true on the first call.</summary>
    public bool TakeCreditsChange()
    {
        var v = _topic.CreditsVersion;
        if (v == _creditsSeen) return false;
        _creditsSeen = v;
        return true;
    }

    /// <summary>Waits for <paramref name="pulse"/>; false when <paramref name="timeout"/> passed first.</summary>
    public static async Task<bool> WaitAsync(Task pulse, TimeSpan timeout, CancellationToken ct)
    {
        try { await pulse.WaitAsync(timeout, ct); return true; }
        catch (TimeoutException) { return false; }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _hub.Release(_key, _topic);
    }
}

using Kiln.Core.Credits;

namespace Kiln.Core.Jobs.Events;

/// <summary>
/// One shared read of a workspace's event log for all of its open streams in this process. When a notice wakes the
/// workspace's streams, the first to ask reads the rows after the feed's own cursor and appends them to a bounded buffer;
/// the others find that read already covers their wake-up and take the rows from the buffer. So an event costs one read
/// per workspace per web process, whatever the number of tabs (and the balance one read per credits change), where each
/// stream used to read on its own. The feed's <see cref="EventCursor"/> keeps late-committing ids in order as before.
/// A stream that falls more than <see cref="Capacity"/> rows behind (a stalled client) is told to reconnect, and resumes
/// from the database with its Last-Event-ID.
/// </summary>
public sealed class WorkspaceFeed(Guid workspaceId, Func<long> wakeVersion)
{
    public const int Capacity = 4096;
    private const int Batch = 200;

    private readonly SemaphoreSlim _read = new(1, 1);
    private readonly SemaphoreSlim _balanceRead = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<WorkspaceJobEvent> _buffer = [];
    private long _firstSeq;
    private EventCursor? _cursor;
    private long _readVersion = -1;
    private Balance? _balance;
    private long _balanceVersion = -1;
    private long _reads;

    /// <summary>Reads of the event log this feed made (for tests and the benchmark).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Where a stream joining now starts in the buffer, and the ids the feed will not deliver again (all ≤ Low or in Recent).</summary>
    public sealed record Position(long Seq, long Low, IReadOnlySet<long> Recent);

    /// <summary>A joining stream's starting point; the first one starts the feed at the log's newest id.</summary>
    public async Task<Position> JoinAsync(LiveEventsQuery live, TimeProvider clock, TimeSpan settle, CancellationToken ct)
    {
        await _read.WaitAsync(ct);
        try
        {
            if (_cursor is null)
            {
                var version = wakeVersion();
                _cursor = new EventCursor(await live.LatestId(ct), clock, settle);
                _readVersion = version;
            }
            lock (_gate) return new Position(_firstSeq + _buffer.Count, _cursor.Low, _cursor.Recent.ToHashSet());
        }
        finally { _read.Release(); }
    }

    /// <summary>
    /// Makes sure the buffer holds everything committed before the wake-up a stream saw (<paramref name="version"/>): one
    /// read serves every stream woken by the same notices.
    /// </summary>
    public async Task CatchUpAsync(LiveEventsQuery live, long version, CancellationToken ct)
    {
        if (Interlocked.Read(ref _readVersion) >= version) return;
        await _read.WaitAsync(ct);
        try
        {
            if (_readVersion >= version || _cursor is null) return;
            var start = wakeVersion();
            while (true)
            {
                var mark = _cursor.SettledMark();
                Interlocked.Increment(ref _reads);
                var batch = await live.ForWorkspace(workspaceId, _cursor.Low, _cursor.Recent, Batch, ct);
                lock (_gate)
                {
                    foreach (var e in batch)
                    {
                        _cursor.Sent(e.Id);
                        _buffer.Add(e);
                    }
                    var over = _buffer.Count - Capacity;
                    if (over > 0)
                    {
                        _buffer.RemoveRange(0, over);
                        _firstSeq += over;
                    }
                }
                if (batch.Count < Batch) { _cursor.Advance(mark); break; }
            }
            Interlocked.Exchange(ref _readVersion, start);
        }
        finally { _read.Release(); }
    }

    /// <summary>The rows from <paramref name="seq"/> on (and the next position), or null when they have left the buffer.</summary>
    public (List<WorkspaceJobEvent> Events, long Next)? Take(long seq)
    {
        lock (_gate)
        {
            if (seq < _firstSeq) return null;
            var from = (int)(seq - _firstSeq);
            return (_buffer.GetRange(from, _buffer.Count - from), _firstSeq + _buffer.Count);
        }
    }

    /// <summary>The balance as of a credits change a stream saw: one read per change for all the workspace's streams.</summary>
    public async Task<Balance> BalanceAsync(GetBalanceQuery balances, long creditsVersion, Func<long> currentCreditsVersion, CancellationToken ct)
    {
        if (Volatile.Read(ref _balance) is { } cached && Interlocked.Read(ref _balanceVersion) >= creditsVersion) return cached;
        await _balanceRead.WaitAsync(ct);
        try
        {
            if (_balance is { } again && _balanceVersion >= creditsVersion) return again;
            var start = currentCreditsVersion();
            var balance = await balances.Run(workspaceId, ct);
            Volatile.Write(ref _balance, balance);
            Interlocked.Exchange(ref _balanceVersion, start);
            return balance;
        }
        finally { _balanceRead.Release(); }
    }
}

namespace Kiln.Core.Jobs.Events;

/// <summary>
/// Where one stream is in the event log. Ids are handed out at insert, not at commit, so on PostgreSQL a slow
/// transaction can make event 100 visible after 101 was already sent; a plain "id &gt; last sent" would skip it for good.
/// The cursor therefore keeps the ids it sent recently and reads "id &gt; <see cref="Low"/> and not one of those" until
/// they are older than the settle window (any event with a smaller id was inserted earlier and has committed by then);
/// only then does <see cref="Low"/> move past them. Resuming with Last-Event-ID N starts at Low = N.
/// </summary>
public sealed class EventCursor(long after, TimeProvider clock, TimeSpan settle)
{
    private readonly List<(long Id, DateTimeOffset SentAt)> _recent = [];

    public long Low { get; private set; } = after;

    /// <summary>Ids above <see cref="Low"/> already sent: excluded from the next read.</summary>
    public IReadOnlyList<long> Recent => [.. _recent.Select(r => r.Id)];

    /// <summary>The highest id sent so far (what Last-Event-ID would say).</summary>
    public long Highest => _recent.Count == 0 ? Low : Math.Max(Low, _recent.Max(r => r.Id));

    /// <summary>Call BEFORE a read: the mark that may become <see cref="Low"/> once that read has completed in full.</summary>
    public long SettledMark()
    {
        var cutoff = clock.GetUtcNow() - settle;
        var mark = Low;
        foreach (var (id, sentAt) in _recent) if (sentAt <= cutoff && id > mark) mark = id;
        return mark;
    }

    public void Sent(long id) => _recent.Add((id, clock.GetUtcNow()));

    /// <summary>After a read that returned everything (not cut at its limit): moves <see cref="Low"/> to <paramref name="mark"/>.</summary>
    public void Advance(long mark)
    {
        if (mark <= Low) return;
        Low = mark;
        _recent.RemoveAll(r => r.Id <= mark);
    }
}

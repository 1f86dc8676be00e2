using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs;

/// <summary>Bound from <c>Kiln:Jobs</c>: the per-process copy of job status responses (<see cref="JobStatusCache"/>).</summary>
public sealed class JobStatusCacheOptions
{
    /// <summary>
    /// The longest a status read may be served from this process's memory. A job's own events (progress, status,
    /// cancel, sub-tasks) drop its copy at once when the live channel hears them; this bounds what no event reports (a
    /// worker claiming the job, a notice lost with a LISTEN connection, another SQLite process between two safety
    /// polls). 0 turns the cache off.
    /// </summary>
    public double StatusCacheSeconds { get; set; } = 2;

    /// <summary>How many jobs' responses one process keeps at most (the least recently read go first).</summary>
    public int StatusCacheEntries { get; set; } = 10_000;
}

/// <summary>Who may read a cached job: the job query filter's rule (<c>KilnDbContext</c>), checked on every hit.</summary>
public readonly record struct JobVisibility(Guid WorkspaceId, Guid? CreatedByUserId)
{
    public static JobVisibility Of(Job job) => new(job.WorkspaceId, job.CreatedByUserId);

    /// <summary>
    /// Same workspace, and — under per-member privacy — the caller's own job. A job another member shared is not served
    /// from memory to a private-scoped caller: taking the share back sends no event, so that caller always reads the row.
    /// </summary>
    public bool VisibleTo(Guid workspaceId, Guid? privateTo) =>
        WorkspaceId == workspaceId && (privateTo is null || CreatedByUserId == privateTo);
}

/// <summary>
/// The status response of recently read jobs, so a client polling <c>GET /api/jobs/{id}</c> costs a dictionary read
/// instead of two database reads. Correctness rests on versions, not on removing entries: every job id hashes to one
/// of <see cref="Stripes"/> counters; a notice for the job (<see cref="Invalidate"/>, called by the live channel's
/// <c>EventHub</c> and by this process's commit hook) bumps its counter, and an entry is served only while its counter
/// still has the value read BEFORE the database read that filled it — so a write that lands during a fill can never be
/// hidden behind the older copy. Entries also expire after <see cref="JobStatusCacheOptions.StatusCacheSeconds"/>.
/// Size is bounded by two generations (a young and an old dictionary, each up to half the entries; a hit in the old one
/// moves the entry to the young one; when the young one is full it becomes the old one): least-recently-read jobs drop
/// out, and memory never grows with the number of jobs.
/// </summary>
public sealed class JobStatusCache
{
    private const int Stripes = 4096;

    private sealed record Entry(JobVisibility Visibility, object Value, long Version, long Expires);

    private readonly long[] _versions = new long[Stripes];
    private readonly TimeProvider _clock;
    private readonly long _ttl;
    private readonly int _generation;
    private readonly Lock _swap = new();
    private ConcurrentDictionary<Guid, Entry> _young = new();
    private ConcurrentDictionary<Guid, Entry> _old = new();
    private int _youngCount;

    public JobStatusCache(IOptions<JobStatusCacheOptions> options, TimeProvider clock)
    {
        _clock = clock;
        var seconds = Math.Max(0, options.Value.StatusCacheSeconds);
        _ttl = (long)(seconds * clock.TimestampFrequency);
        _generation = Math.Max(1, options.Value.StatusCacheEntries / 2);
    }

    public bool Enabled => _ttl > 0;

    /// <summary>Entries held now, across both generations (for tests and metrics; not exact under concurrency).</summary>
    public int Count => _young.Count + _old.Count;

    /// <summary>The job's version; take it BEFORE reading the database and hand it to <see cref="Store"/>.</summary>
    public long Stamp(Guid jobId) => Volatile.Read(ref _versions[Stripe(jobId)]);

    /// <summary>The cached response, when one is fresh, unchanged since it was read, and visible to this caller.</summary>
    /// <param name="privateTo">The caller's per-member privacy scope (<c>ITenantScope.PrivateToUserId</c>).</param>
    public bool TryGet<T>(Guid jobId, Guid workspaceId, Guid? privateTo, [MaybeNullWhen(false)] out T value) where T : class
    {
        value = null;
        if (!Enabled) return false;
        var young = Volatile.Read(ref _young);
        if (!young.TryGetValue(jobId, out var entry))
        {
            if (!Volatile.Read(ref _old).TryGetValue(jobId, out entry) || !Live(jobId, entry)) return false;
            Add(jobId, entry); // read again: keep it in the young generation
        }
        else if (!Live(jobId, entry)) return false;
        // Another workspace's id (or a private job of another member) is not an answer: the caller's own database read
        // decides, and its tenant filter says 404.
        if (!entry.Visibility.VisibleTo(workspaceId, privateTo) || entry.Value is not T t) return false;
        value = t;
        return true;
    }

    /// <summary>Keeps <paramref name="value"/> for the job; dropped at once if the job changed since <paramref name="stamp"/>.</summary>
    public void Store(Guid jobId, long stamp, JobVisibility visibility, object value)
    {
        if (!Enabled || Stamp(jobId) != stamp) return;
        Add(jobId, new Entry(visibility, value, stamp, _clock.GetTimestamp() + _ttl));
    }

    /// <summary>The job changed (an event was committed or heard): its cached response is no longer served.</summary>
    public void Invalidate(Guid jobId) => Interlocked.Increment(ref _versions[Stripe(jobId)]);

    /// <summary>Everything may have changed (the LISTEN connection was lost): nothing cached is served again.</summary>
    public void Clear()
    {
        for (var i = 0; i < Stripes; i++) Interlocked.Increment(ref _versions[i]);
        lock (_swap)
        {
            Volatile.Write(ref _old, new ConcurrentDictionary<Guid, Entry>());
            Volatile.Write(ref _young, new ConcurrentDictionary<Guid, Entry>());
            _youngCount = 0;
        }
    }

    private bool Live(Guid jobId, Entry entry) =>
        entry.Version == Stamp(jobId) && _clock.GetTimestamp() < entry.Expires;

    private void Add(Guid jobId, Entry entry)
    {
        var young = Volatile.Read(ref _young);
        young[jobId] = entry;
        if (Interlocked.Increment(ref _youngCount) < _generation) return;
        lock (_swap)
        {
            if (!ReferenceEquals(young, _young) || _youngCount < _generation) return;
            Volatile.Write(ref _old, young);
            Volatile.Write(ref _young, new ConcurrentDictionary<Guid, Entry>());
            _youngCount = 0;
        }
    }

    private static int Stripe(Guid jobId) => jobId.GetHashCode() & (Stripes - 1);
}

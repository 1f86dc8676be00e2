using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Runner;

/// <summary>An attempt that ended without succeeding because its worker was lost (its lease expired).</summary>
/// <param name="JobFinished">The rescue also ended the job (attempts exhausted or cancel requested): its checkpoints go too.</param>
public sealed record LostAttempt(Guid JobId, Guid WorkspaceId, int Attempt, bool JobFinished);

/// <summary>
/// Removes what an attempt that did not succeed leaves behind: its blobs (<c>ws/…/jobs/{job}/a{n}/</c>, artifacts written
/// before the end), its checkpoints once the job is over, and its scratch directory on this machine. A worker killed
/// mid-job removes nothing itself, so the rescuer that takes its lease over calls this; a delete that fails because the
/// blob store is down is kept and tried again on the rescuer's next rounds, instead of failing the job or leaking the
/// blob. (Pending deletes live in memory: a process that stops first leaves them to the job's retention.)
/// </summary>
public sealed partial class AttemptLeftovers(IBlobStore blobs, IOptions<WorkerOptions> worker, ILogger<AttemptLeftovers> log)
{
    /// <summary>At most this many prefixes wait for the blob store to come back; more are left to retention.</summary>
    public const int MaxPending = 10_000;
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);

    public int Pending => _pending.Count;

    public static string AttemptPrefix(Guid workspaceId, Guid jobId, int attempt) => $"{BlobKeys.JobPrefix(workspaceId, jobId)}a{attempt}/";

    public static string CheckpointPrefix(Guid workspaceId, Guid jobId) => $"{BlobKeys.JobPrefix(workspaceId, jobId)}checkpoints/";

    /// <summary>Deletes every blob under <paramref name="prefix"/>; if the store fails, the prefix waits for <see cref="RetryPendingAsync"/>.</summary>
    public async Task DeleteBlobsAsync(string prefix)
    {
        try
        {
            await blobs.DeletePrefixAsync(prefix, CancellationToken.None);
            _pending.TryRemove(prefix, out _);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (_pending.Count < MaxPending) _pending.TryAdd(prefix, 0);
            DeleteFailed(log, prefix, ex.GetBaseException().Message);
        }
    }

    /// <summary>Removes the attempt's scratch directory if it is on this machine (several workers may share the path).</summary>
    public void DeleteScratch(Guid jobId, int attempt)
    {
        var dir = Path.Combine(worker.Value.ScratchPath, $"{jobId:N}-a{attempt}");
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (DirectoryNotFoundException) { } // removed meanwhile (the attempt's own cleanup and the sweep can meet)
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { ScratchFailed(log, dir, ex.Message); }
    }

    public async Task CleanAsync(IEnumerable<LostAttempt> lost)
    {
        foreach (var a in lost)
        {
            DeleteScratch(a.JobId, a.Attempt);
            await DeleteBlobsAsync(AttemptPrefix(a.WorkspaceId, a.JobId, a.Attempt));
            if (a.JobFinished) await DeleteBlobsAsync(CheckpointPrefix(a.WorkspaceId, a.JobId));
        }
    }

    /// <summary>A scratch directory younger than this is left alone by <see cref="SweepScratchAsync"/> (its attempt may be starting).</summary>
    public static readonly TimeSpan SweepMinAge = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Removes scratch directories on this machine whose job this database knows and whose attempt is not running any more. The rescuer's own cleanup
    /// misses one case the chaos harness hit: an attempt that lost its lease while its process was still alive (a
    /// stalled heartbeat under load), was rescued and cleaned, wrote to its directory again and was then killed.
    /// </summary>
    public async Task<int> SweepScratchAsync(KilnDbContext db, DateTime nowUtc, CancellationToken ct)
    {
        var root = worker.Value.ScratchPath;
        if (!Directory.Exists(root)) return 0;
        var dirs = new List<(string Path, Guid Job, int Attempt)>();
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var m = AttemptDir().Match(Path.GetFileName(dir));
            if (m.Success && Directory.GetLastWriteTimeUtc(dir) < nowUtc - SweepMinAge)
                dirs.Add((dir, Guid.ParseExact(m.Groups[1].Value, "N"), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }
        if (dirs.Count == 0) return 0;
        var ids = dirs.Select(d => d.Job).Distinct().ToList();
        var known = (await db.Jobs.IgnoreQueryFilters().AsNoTracking()
                .Where(j => ids.Contains(j.Id)).Select(j => new { j.Id, j.Attempt, j.Status }).ToListAsync(ct))
            .ToDictionary(j => j.Id, j => (j.Attempt, Running: j.Status == JobStatus.Running));
        var deleted = 0;
        // Only directories of this database's jobs: another installation (or another test's worker) may share the
        // path, and a job this database does not know is not ours to judge; the day-old sweep (StaleScratch) takes those.
        foreach (var (path, job, attempt) in dirs.Where(d => known.TryGetValue(d.Job, out var j) && !(j.Running && j.Attempt == d.Attempt)))
        {
            try
            {
                Directory.Delete(path, recursive: true);
                deleted++;
            }
            catch (DirectoryNotFoundException) { } // removed meanwhile by the attempt's own cleanup
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { ScratchFailed(log, path, ex.Message); }
        }
        return deleted;
    }

    [GeneratedRegex("^([0-9a-f]{32})-a([0-9]+)$")]
    private static partial Regex AttemptDir();

    /// <summary>Tries the deletes that failed before; stops at the first failure (the store is probably still down).</summary>
    public async Task<int> RetryPendingAsync(CancellationToken ct)
    {
        var done = 0;
        foreach (var prefix in _pending.Keys)
        {
            ct.ThrowIfCancellationRequested();
            await _retryGate.WaitAsync(ct);
            try
            {
                if (!_pending.ContainsKey(prefix)) continue; // an attempt under it started and deleted it (ClaimAsync)
                try { await blobs.DeletePrefixAsync(prefix, ct); }
                catch (Exception ex) when (ex is not OperationCanceledException) { return done; }
                _pending.TryRemove(prefix, out _);
                done++;
            }
            finally { _retryGate.Release(); }
        }
        return done;
    }

    // Held by a pending delete in flight, so an attempt that starts under the same prefix waits for it (ClaimAsync).
    private readonly SemaphoreSlim _retryGate = new(1, 1);

    /// <summary>
    /// An attempt starts writing under <paramref name="prefix"/>. A wait for the blob store spends no attempt, so the next
    /// try reuses the number and the prefix whose delete may still be pending: that delete runs now, before this attempt
    /// writes, and never after it (it would remove a successful attempt's artifacts). If the store is still down the
    /// leftovers stay for the job's retention, not for a retry. Costs nothing while no delete is pending.
    /// </summary>
    public async Task ClaimAsync(string prefix)
    {
        if (_pending.IsEmpty) return;
        await _retryGate.WaitAsync();
        try
        {
            if (!_pending.TryRemove(prefix, out _)) return;
            try { await blobs.DeletePrefixAsync(prefix, CancellationToken.None); }
            catch (Exception ex) when (ex is not OperationCanceledException) { ClaimDeleteFailed(log, prefix, ex.GetBaseException().Message); }
        }
        finally { _retryGate.Release(); }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Could not delete the blobs under {Prefix} ({Reason}); trying again later")]
    private static partial void DeleteFailed(ILogger log, string prefix, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Could not delete an earlier try's blobs under {Prefix} ({Reason}); left to the job's retention")]
    private static partial void ClaimDeleteFailed(ILogger log, string prefix, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Could not delete the scratch directory {Dir}: {Reason}")]
    private static partial void ScratchFailed(ILogger log, string dir, string reason);
}

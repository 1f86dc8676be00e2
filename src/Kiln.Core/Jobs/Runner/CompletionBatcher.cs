using System.Threading.Channels;
using Kiln.Core.Data;
using Kiln.Core.Jobs.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// Group commit for successful attempts: completions that arrive while a flush is running are written together by
/// the next flush, one statement per workspace (<see cref="JobQueue.SucceedManyAsync"/>). There is no timer — an
/// idle worker's completion is written at once; a busy worker's completions share round trips and commits. Every
/// completion keeps its own lease fence and its own answer. On PostgreSQL, when the job runner is attached, the slots
/// of the completing jobs are refilled in the same round trip and transaction (<see cref="JobQueue.SucceedManyAndClaimAsync"/>),
/// so a busy worker needs no separate claim statement per batch.
/// </summary>
public sealed class CompletionBatcher(IServiceScopeFactory scopes, ILogger<CompletionBatcher> log) : IDisposable
{
    internal const int MaxBatch = 128;
    /// <summary>The longest a completion waits for the others of its batch (<see cref="LingerAsync"/>).</summary>
    internal static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(1);
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _gate = new();
    // PostgreSQL: scopes (and their DbContext and JobQueue) kept between flushes, one per concurrent flush. The batched
    // statements are raw SQL on a connection opened and closed per flush, so a scope carries nothing from one flush to
    // the next; making a DbContext per flush cost about a tenth of a busy worker's CPU. A flush that throws drops its scope.
    private readonly System.Collections.Concurrent.ConcurrentBag<AsyncServiceScope> _idle = [];
    private bool? _isPostgres;
    private Task? _loop;
    private IJobSlotRefill? _refill;

    /// <summary>The job runner of this process: completions then refill its slots.</summary>
    public void Attach(IJobSlotRefill refill) => _refill = refill;

    public Task<bool> SucceedAsync(Job job, Guid lease, long cost, IReadOnlyList<ArtifactRecord> artifacts, SlotTicket? slot = null)
    {
        var pending = new Pending(new JobQueue.Completion(job, lease, cost, artifacts), new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously), slot);
        lock (_gate) _loop ??= Task.Run(LoopAsync);
        if (!_queue.Writer.TryWrite(pending)) pending.Done.TrySetException(new ObjectDisposedException(nameof(CompletionBatcher)));
        return pending.Done.Task;
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var buffer = new List<Pending>(MaxBatch);
        while (await reader.WaitToReadAsync())
        {
            while (buffer.Count < MaxBatch && reader.TryRead(out var p)) buffer.Add(p);
            // SQLite completes one job per transaction anyway: nothing to wait for.
            await LingerAsync(reader, buffer, _isPostgres == true && _refill is { } runner ? () => runner.BusySlots : null, Linger);
            await Task.WhenAll(buffer.GroupBy(p => p.Completion.Job.WorkspaceId).Select(g => FlushAsync(g.ToList(), refill: true)));
            buffer.Clear();
        }
    }

    /// <summary>
    /// Waits up to <see cref="Linger"/> for the completions of jobs still running in this worker, so that short jobs
    /// finishing together share one flush. A flush costs about the same whether it carries one completion or twenty (the
    /// round trip, the statements' fixed work, and above all the commit's WAL flush), and one workspace's flushes cannot
    /// overlap (each holds the account and counter rows until its commit), so bigger batches are the way to more
    /// completions a second. With nothing else running (a lone job, a quiet worker) it does not wait at all; a long job
    /// in another slot costs a finishing job at most <see cref="Linger"/>.
    /// </summary>
    /// <param name="running">This worker's busy slots now (the jobs waiting in <paramref name="buffer"/> included; a job that
    /// completed and is only cleaning up counts no more); null: do not wait.</param>
    internal static async Task LingerAsync<T>(ChannelReader<T> reader, List<T> buffer, Func<int>? running, TimeSpan linger)
    {
        if (running is null || running() <= buffer.Count) return;
        using var timeout = new CancellationTokenSource(linger);
        try
        {
            while (buffer.Count < MaxBatch && running() > buffer.Count && await reader.WaitToReadAsync(timeout.Token))
                while (buffer.Count < MaxBatch && reader.TryRead(out var p)) buffer.Add(p);
        }
        catch (OperationCanceledException) { } // the moment is over: flush what there is
    }

    private async Task FlushAsync(List<Pending> group, bool refill)
    {
        var slots = 0;
        var refilling = false;
        AsyncServiceScope? kept = null;
        try
        {
            var isPostgres = _isPostgres ??= await IsPostgresAsync();
            if (group.Count > 1 && !isPostgres)
            {
                // SQLite has no batched statement: one completion (and one answer) at a time, so a failure of one
                // can never be reported for another that already committed.
                foreach (var p in group) await FlushAsync([p], refill: false);
                return;
            }
            await using var fresh = isPostgres ? (AsyncServiceScope?)null : scopes.CreateAsyncScope();
            var scope = fresh ?? (kept = _idle.TryTake(out var idle) ? idle : scopes.CreateAsyncScope()).Value;
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            var completions = group.Select(p => p.Completion).ToList();
            bool[] results;
            if (refill && isPostgres && _refill is { } runner)
            {
                foreach (var p in group) if (p.Slot?.TryTake() == true) slots++;
                refilling = slots > 0 && runner.TryBeginRefill();
                if (refilling)
                {
                    var (succeeded, claimed) = await queue.SucceedManyAndClaimAsync(completions, runner.WorkerId, slots, CancellationToken.None);
                    results = succeeded;
                    refilling = false;
                    runner.EndRefill(claimed, slots);
                    slots = 0;
                }
                else results = await queue.SucceedManyAsync(completions, CancellationToken.None);
            }
            else results = await queue.SucceedManyAsync(completions, CancellationToken.None);
            for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(results[i]);
            if (kept is { } k) { _idle.Add(k); kept = null; }
        }
        catch (PostgresException ex) when (group.Count > 1 || refilling)
        {
            // The server rejected the batch, so nothing of it was written: complete each on its own, so one bad
            // completion cannot fail the others.
            log.LogWarning(ex, "Batched completion of {Count} jobs failed; completing them one by one", group.Count);
            ReleaseSlots(ref slots, ref refilling);
            foreach (var p in group) await FlushAsync([p], refill: false);
        }
        catch (Exception ex)
        {
            foreach (var p in group) p.Done.TrySetException(ex);
        }
        finally
        {
            ReleaseSlots(ref slots, ref refilling);
            if (kept is { } k) await k.DisposeAsync();
        }
    }

    private async Task<bool> IsPostgresAsync()
    {
        await using var scope = scopes.CreateAsyncScope();
        return scope.ServiceProvider.GetRequiredService<KilnDbContext>().IsPostgres;
    }

    /// <summary>Slots taken over but not refilled go back to the runner.</summary>
    private void ReleaseSlots(ref int slots, ref bool refilling)
    {
        if (refilling) _refill!.EndRefill([], slots);
        else if (slots > 0) _refill!.ReturnSlots(slots);
        slots = 0;
        refilling = false;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        // Asynchronously disposed services (a DbContext's connection) need DisposeAsync; this runs once, at shutdown.
        while (_idle.TryTake(out var scope)) scope.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private sealed record Pending(JobQueue.Completion Completion, TaskCompletionSource<bool> Done, SlotTicket? Slot);
}

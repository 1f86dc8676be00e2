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
/// completion keeps its own lease fence and its own answer.
/// </summary>
public sealed class CompletionBatcher(IServiceScopeFactory scopes, ILogger<CompletionBatcher> log) : IDisposable
{
    private const int MaxBatch = 128;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _gate = new();
    private Task? _loop;

    public Task<bool> SucceedAsync(Job job, Guid lease, long cost, IReadOnlyList<ArtifactRecord> artifacts)
    {
        var pending = new Pending(new JobQueue.Completion(job, lease, cost, artifacts), new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
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
            await Task.WhenAll(buffer.GroupBy(p => p.Completion.Job.WorkspaceId).Select(g => FlushAsync(g.ToList())));
            buffer.Clear();
        }
    }

    private async Task FlushAsync(List<Pending> group)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            if (group.Count > 1 && !scope.ServiceProvider.GetRequiredService<KilnDbContext>().IsPostgres)
            {
                // SQLite has no batched statement: one completion (and one answer) at a time, so a failure of one
                // can never be reported for another that already committed.
                foreach (var p in group) await FlushAsync([p]);
                return;
            }
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            var results = await queue.SucceedManyAsync(group.Select(p => p.Completion).ToList(), CancellationToken.None);
            for (var i = 0; i < group.Count; i++) group[i].Done.TrySetResult(results[i]);
        }
        catch (PostgresException ex) when (group.Count > 1)
        {
            // The server rejected the statement, so nothing of it was written: complete each on its own, so one bad
            // completion cannot fail the others.
            log.LogWarning(ex, "Batched completion of {Count} jobs failed; completing them one by one", group.Count);
            foreach (var p in group) await FlushAsync([p]);
        }
        catch (Exception ex)
        {
            foreach (var p in group) p.Done.TrySetException(ex);
        }
    }

    public void Dispose() => _queue.Writer.TryComplete();

    private sealed record Pending(JobQueue.Completion Completion, TaskCompletionSource<bool> Done);
}

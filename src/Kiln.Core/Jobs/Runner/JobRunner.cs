using System.Collections.Concurrent;
using System.Diagnostics;
using Kiln.Core.Common;
using Kiln.Core.Jobs.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// Claims jobs and runs them, up to <see cref="WorkerOptions.Concurrency"/> at once. Hosted by Kiln.Worker, and by
/// Kiln.Web when <c>Kiln:Worker:Enabled</c> is on. On shutdown it stops claiming, lets running jobs finish within the
/// grace period and hands the rest back to the queue, so a deploy neither loses nor double-runs a job.
/// Slots are counted explicitly: a claim reserves them first; a job's slot comes back when its task ends, unless the
/// completion batcher took it over to refill it in the completion's own round trip (<see cref="IJobSlotRefill"/>).
/// The rescuer (<see cref="LeaseRescuer"/>) and the heartbeat (<see cref="WorkerHeartbeatService"/>) run beside it as
/// hosted services of their own.
/// </summary>
public sealed class JobRunner(IServiceScopeFactory scopes, JobSignal signal, JobExecutor executor, CompletionBatcher completions, TimeProvider time,
    IOptions<WorkerOptions> workerOptions, IOptions<JobsOptions> jobsOptions, ILogger<JobRunner> log,
    Pipelines.WorkerCapabilities? capabilities = null) : BackgroundService, IJobSlotRefill
{
    private readonly ConcurrentDictionary<Guid, Task> _running = new();
    private readonly CancellationTokenSource _handBack = new();
    private readonly SemaphoreSlim _slotFreed = new(0);
    private readonly object _refillGate = new();
    private int _free;
    private int _refills;
    private bool _stopping;

    public string WorkerId { get; } = workerOptions.Value.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Ids.Token(3)}";
    public int Running => _running.Count;
    private readonly int _concurrency = Math.Max(1, workerOptions.Value.Concurrency);
    private readonly SlotCount _held = new();
    int IJobSlotRefill.BusySlots => _held.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var concurrency = _concurrency;
        log.LogInformation("Job runner {WorkerId} started with {Concurrency} slots", WorkerId, concurrency);
        var stale = StaleScratch.Delete(workerOptions.Value.ScratchPath, time.GetUtcNow().UtcDateTime - StaleScratch.MaxAge);
        if (stale > 0) log.LogInformation("Removed {Count} scratch directories left by workers that stopped mid-job", stale);
        var poll = TimeSpan.FromSeconds(jobsOptions.Value.PollSeconds);

        Volatile.Write(ref _free, concurrency);
        completions.Attach(this);
        var backlog = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var free = Volatile.Read(ref _free);
            if (backlog && free > 0 && free < (concurrency + 1) / 2)
            {
                // More work is waiting and slots free up in groups (completions are written in batches): give the rest
                // of the group a moment to finish, so one claim fills several slots instead of one claim per slot.
                var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 500); // at most 2 ms
                while (free < (concurrency + 1) / 2 && Stopwatch.GetTimestamp() < until && !stoppingToken.IsCancellationRequested)
                {
                    await _slotFreed.WaitAsync(TimeSpan.FromMilliseconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    free = Volatile.Read(ref _free);
                }
            }
            var claimed = 0;
            var pulse = signal.Next;
            var taken = TakeSlots(free);
            if (taken > 0)
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var jobs = await scope.ServiceProvider.GetRequiredService<JobQueue>().ClaimAsync(WorkerId, taken, stoppingToken);
                    claimed = jobs.Count;
                    foreach (var job in jobs) Start(job);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { Interlocked.Add(ref _free, taken); break; }
                catch (Exception ex)
                {
                    Interlocked.Add(ref _free, taken);
                    log.LogError(ex, "Claiming jobs failed; retrying");
                    await Task.Delay(poll, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    continue;
                }
                Interlocked.Add(ref _free, taken - claimed);
            }
            // A claim that filled every slot it tried suggests more work is waiting; no claim attempted (no free slot) changes nothing.
            if (taken > 0) backlog = claimed > 0 && claimed == taken;
            if (claimed > 0 && claimed == taken) continue;
            if (Volatile.Read(ref _free) <= 0)
                await _slotFreed.WaitAsync(poll, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            else if (claimed == 0)
                await JobSignal.WaitAsync(pulse, poll, stoppingToken);
        }

        await DrainAsync();
    }

    /// <summary>Reserves up to <paramref name="max"/> free slots.</summary>
    private int TakeSlots(int max)
    {
        while (true)
        {
            var free = Volatile.Read(ref _free);
            var take = Math.Min(free, max);
            if (take <= 0) return 0;
            if (Interlocked.CompareExchange(ref _free, free - take, free) == free) return take;
        }
    }

    private void GiveBack(int slots)
    {
        if (slots <= 0) return;
        Interlocked.Add(ref _free, slots);
        _slotFreed.Release();
        signal.NotifyLocal();
    }

    /// <summary>Runs a claimed job in a slot already reserved for it.</summary>
    private void Start(Job job)
    {
        var slot = new SlotTicket(_held);
        var heavy = capabilities?.IsHeavy(job.PipelineId) == true;
        var overHeavyLimit = heavy && !capabilities!.TryStartHeavy();
        // Registered before it starts: a job that ends at once must not be removed before it was added.
        var run = new Task<Task>(async () =>
        {
            try
            {
                if (overHeavyLimit) await HandBackHeavyAsync(job);
                else await executor.RunAsync(job, WorkerId, _handBack.Token, slot);
            }
            catch (Exception ex) { log.LogError(ex, "Job {JobId} runner crashed", job.Id); }
            finally
            {
                if (heavy && !overHeavyLimit) capabilities!.HeavyFinished();
                _running.TryRemove(job.Id, out _);
                // Unless the completion batcher took the slot over (and refilled or returned it), it is free again.
                if (slot.TryTake()) GiveBack(1);
            }
        });
        _running[job.Id] = run.Unwrap();
        run.Start(TaskScheduler.Default);
    }

    /// <summary>A heavy job claimed while this worker's heavy slots are busy goes back to the queue at once (the attempt
    /// does not count); the next claims leave heavy jobs alone until a heavy slot is free.</summary>
    private async Task HandBackHeavyAsync(Job job)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<JobQueue>().HandBackAsync(job, job.LeaseToken!.Value, CancellationToken.None);
        log.LogInformation("Job {JobId} ({Pipeline}) handed back: this worker's heavy slots are busy", job.Id, job.PipelineId);
    }

    bool IJobSlotRefill.TryBeginRefill()
    {
        lock (_refillGate)
        {
            if (_stopping) return false;
            _refills++;
            return true;
        }
    }

    void IJobSlotRefill.EndRefill(IReadOnlyList<Job> claimed, int slots)
    {
        foreach (var job in claimed) Start(job);
        GiveBack(slots - claimed.Count);
        lock (_refillGate) _refills--;
    }

    void IJobSlotRefill.ReturnSlots(int slots) => GiveBack(slots);

    private async Task DrainAsync()
    {
        // No more refills; the ones under way start their jobs before the running set is read.
        lock (_refillGate) _stopping = true;
        for (var i = 0; i < 3000 && Volatile.Read(ref _refills) > 0; i++) await Task.Delay(10);
        if (_running.IsEmpty) return;
        var grace = TimeSpan.FromSeconds(workerOptions.Value.ShutdownGraceSeconds);
        log.LogInformation("Stopping: waiting up to {Grace} for {Count} running job(s)", grace, _running.Count);
        var all = Task.WhenAll(_running.Values);
        if (await Task.WhenAny(all, Task.Delay(grace)) != all)
        {
            log.LogWarning("Grace period over: handing {Count} job(s) back to the queue", _running.Count);
            await _handBack.CancelAsync();
            await all.WaitAsync(TimeSpan.FromSeconds(15)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public override void Dispose()
    {
        _handBack.Dispose();
        _slotFreed.Dispose();
        base.Dispose();
    }
}

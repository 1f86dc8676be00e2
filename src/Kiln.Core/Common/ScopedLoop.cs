using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Common;

/// <summary>How a pass of a <see cref="ScopedLoop"/> ended.</summary>
public enum LoopPass
{
    /// <summary>It found work; the loop goes again after <c>BusyDelay</c>.</summary>
    Busy,
    /// <summary>It found nothing to do; the loop waits <c>IdleDelay</c>.</summary>
    Idle,
    /// <summary>It threw; the failure was logged and the loop waits <c>ErrorDelay</c>.</summary>
    Failed,
}

/// <summary>
/// The one shape of Kiln's background loops: wait, run a pass in a fresh DI scope, log a failure and back off, repeat
/// until the host stops. All waiting goes through <see cref="TimeProvider"/>, so a test drives a loop with a fake
/// clock, and <see cref="WaitForIdlePassAsync"/> lets it wait for "nothing left to do" instead of sleeping.
/// <para>
/// A pass says whether it found work: a busy loop goes again after <see cref="BusyDelay"/> (at once by default), an
/// idle one after <see cref="IdleDelay"/>, a failed one after <see cref="ErrorDelay"/>. Delays are read before every
/// wait, so they may come from options.
/// </para>
/// </summary>
public abstract class ScopedLoop(IServiceScopeFactory scopes, TimeProvider time, ILogger log) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly List<Waiter> _waiters = [];
    private long _passes;

    /// <summary>The clock every wait goes through.</summary>
    protected TimeProvider Time { get; } = time;
    protected ILogger Log { get; } = log;

    /// <summary>What the loop does, as a log reads it ("{Name} failed").</summary>
    protected abstract string Name { get; }

    /// <summary>The wait after a pass that found nothing to do.</summary>
    protected abstract TimeSpan IdleDelay { get; }

    /// <summary>The wait after a pass that found work (default: none, go again).</summary>
    protected virtual TimeSpan BusyDelay => TimeSpan.Zero;

    /// <summary>The wait after a pass that failed (default: <see cref="IdleDelay"/>).</summary>
    protected virtual TimeSpan ErrorDelay => IdleDelay;

    /// <summary>The wait before the first pass (default: none).</summary>
    protected virtual TimeSpan FirstDelay => TimeSpan.Zero;

    /// <summary>How loudly a failed pass is logged.</summary>
    protected virtual LogLevel FailureLevel => LogLevel.Error;

    /// <summary>One pass, in its own scope. Returns true when it found work.</summary>
    protected abstract Task<bool> RunAsync(IServiceProvider services, CancellationToken ct);

    /// <summary>Runs one pass now, outside the schedule (tests, tools). A failure is thrown, not logged.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        var pass = NextPass();
        bool busy;
        try { busy = await RunPassAsync(ct); }
        catch (Exception) when (!ct.IsCancellationRequested) { Ended(pass, LoopPass.Failed); throw; }
        Ended(pass, busy ? LoopPass.Busy : LoopPass.Idle);
        return busy;
    }

    /// <summary>
    /// Completes once a pass that started after this call has found nothing to do and the loop is waiting for its next
    /// one (its timer is armed on <see cref="TimeProvider"/>, so advancing a fake clock from here on reaches it).
    /// </summary>
    public Task WaitForIdlePassAsync(CancellationToken ct = default) => WaitAsync(p => p == LoopPass.Idle, ct);

    /// <summary>Like <see cref="WaitForIdlePassAsync"/>, for the next pass however it ended.</summary>
    public Task<LoopPass> WaitForPassAsync(CancellationToken ct = default) => WaitAsync(_ => true, ct);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstDelay;
        long pass = 0;
        var outcome = LoopPass.Idle;
        while (true)
        {
            // The timer is armed before a waiter hears how the last pass ended.
            var wait = delay > TimeSpan.Zero ? Task.Delay(delay, Time, stoppingToken) : Task.CompletedTask;
            if (pass > 0) Ended(pass, outcome);
            try { await wait; }
            catch (OperationCanceledException) { return; }
            if (stoppingToken.IsCancellationRequested) return;

            pass = NextPass();
            try
            {
                outcome = await RunPassAsync(stoppingToken) ? LoopPass.Busy : LoopPass.Idle;
                delay = outcome == LoopPass.Busy ? BusyDelay : IdleDelay;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.Log(FailureLevel, ex, "{Loop} failed", Name);
                outcome = LoopPass.Failed;
                delay = ErrorDelay;
            }
        }
    }

    private async Task<bool> RunPassAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await RunAsync(scope.ServiceProvider, ct);
    }

    private long NextPass()
    {
        lock (_gate) return ++_passes;
    }

    private async Task<LoopPass> WaitAsync(Func<LoopPass, bool> match, CancellationToken ct)
    {
        var waiter = new Waiter(0, match, new TaskCompletionSource<LoopPass>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            waiter = waiter with { After = _passes };
            _waiters.Add(waiter);
        }
        return await waiter.Done.Task.WaitAsync(ct);
    }

    private void Ended(long pass, LoopPass outcome)
    {
        List<Waiter> done;
        lock (_gate)
        {
            done = _waiters.Where(w => w.After < pass && w.Match(outcome)).ToList();
            foreach (var w in done) _waiters.Remove(w);
        }
        foreach (var w in done) w.Done.TrySetResult(outcome);
    }

    private sealed record Waiter(long After, Func<LoopPass, bool> Match, TaskCompletionSource<LoopPass> Done);
}

namespace Kiln.Core.Jobs.Queue;

/// <summary>
/// Wakes idle job runners when work arrives. In-process it is a pulse; on PostgreSQL a committed job creation also
/// sends a NOTIFY on <see cref="Channel"/> right after its commit (<see cref="Events.PostgresEventNotifier.WakeWorkers"/>,
/// never inside the writing transaction), and <see cref="PostgresJobListener"/> turns the notification into the same
/// pulse in every other process. Runners still poll, so a lost wake-up only delays.
/// </summary>
public sealed class JobSignal
{
    public const string Channel = "kiln_jobs";
    private readonly object _gate = new();
    private TaskCompletionSource _pulse = NewPulse();

    public void NotifyLocal()
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            fired = _pulse;
            _pulse = NewPulse();
        }
        fired.TrySetResult();
    }

    /// <summary>
    /// The pulse that the next notification completes. Take it BEFORE looking for work and wait on it after finding
    /// none: a wake-up that arrives in between then is not lost (it would otherwise wait for the next poll).
    /// </summary>
    public Task Next { get { lock (_gate) return _pulse.Task; } }

    /// <summary>Completes when <paramref name="pulse"/> (from <see cref="Next"/>) fires, after <paramref name="timeout"/>, or on cancellation.</summary>
    public static async Task WaitAsync(Task pulse, TimeSpan timeout, CancellationToken ct)
    {
        try { await pulse.WaitAsync(timeout, ct); }
        catch (TimeoutException) { }
        catch (OperationCanceledException) { }
    }

    private static TaskCompletionSource NewPulse() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

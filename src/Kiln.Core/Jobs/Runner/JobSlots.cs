namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// One of a runner's slots, held by the job running in it. When the job succeeds, the completion batcher takes the slot
/// over (<see cref="TryTake"/>) and refills it with a job claimed in the completion's own round trip; otherwise the runner
/// gets it back when the job's task ends. Exactly one of them wins, so a slot is never returned twice.
/// </summary>
public sealed class SlotTicket
{
    private int _held = 1;
    public bool TryTake() => Interlocked.Exchange(ref _held, 0) == 1;
}

/// <summary>What the completion batcher needs from the job runner to refill slots in the completion's round trip.</summary>
public interface IJobSlotRefill
{
    string WorkerId { get; }

    /// <summary>Attempts running in this worker now, those waiting for their completion included.</summary>
    int Running { get; }

    /// <summary>False once the runner is stopping: no more claims. Each true must be paired with <see cref="EndRefill"/>.</summary>
    bool TryBeginRefill();

    /// <summary>Starts the claimed jobs in the taken-over slots and gives the runner the rest (<paramref name="slots"/> ≥ claimed).</summary>
    void EndRefill(IReadOnlyList<Job> claimed, int slots);

    /// <summary>Gives taken-over slots back without a refill.</summary>
    void ReturnSlots(int slots);
}

namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// One of a runner's slots, held by the job running in it. When the job succeeds, the completion batcher takes the slot
/// over (<see cref="TryTake"/>) and refills it with a job claimed in the completion's own round trip; otherwise the runner
/// gets it back when the job's task ends. Exactly one of them wins, so a slot is never returned twice.
/// </summary>
public sealed class SlotTicket
{
    private readonly SlotCount? _count;
    private int _held = 1;

    public SlotTicket() { }

    /// <summary>A ticket counted in <paramref name="count"/> until it is taken.</summary>
    internal SlotTicket(SlotCount count)
    {
        _count = count;
        count.Add();
    }

    public bool TryTake()
    {
        if (Interlocked.Exchange(ref _held, 0) != 1) return false;
        _count?.Remove();
        return true;
    }
}

/// <summary>How many slot tickets are held right now (<see cref="IJobSlotRefill.BusySlots"/>).</summary>
internal sealed class SlotCount
{
    private int _n;
    public int Value => Volatile.Read(ref _n);
    public void Add() => Interlocked.Increment(ref _n);
    public void Remove() => Interlocked.Decrement(ref _n);
}

/// <summary>What the completion batcher needs from the job runner to refill slots in the completion's round trip.</summary>
public interface IJobSlotRefill
{
    string WorkerId { get; }

    /// <summary>
    /// Slots held by started jobs now: jobs running and jobs whose success waits in the batcher (it takes a slot over when
    /// it flushes). A job that has completed and is only cleaning up holds none, nor does a claim still under way.
    /// </summary>
    int BusySlots { get; }

    /// <summary>False once the runner is stopping: no more claims. Each true must be paired with <see cref="EndRefill"/>.</summary>
    bool TryBeginRefill();

    /// <summary>Starts the claimed jobs in the taken-over slots and gives the runner the rest (<paramref name="slots"/> ≥ claimed).</summary>
    void EndRefill(IReadOnlyList<Job> claimed, int slots);

    /// <summary>Gives taken-over slots back without a refill.</summary>
    void ReturnSlots(int slots);
}

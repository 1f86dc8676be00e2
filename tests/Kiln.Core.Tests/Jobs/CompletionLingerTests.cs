using System.Threading.Channels;
using Kiln.Core.Jobs.Runner;

namespace Kiln.Core.Tests.Jobs;

/// <summary>The completion batcher's short wait for the other jobs of a batch (CompletionBatcher.LingerAsync).</summary>
public sealed class CompletionLingerTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_lone_job_is_flushed_without_waiting()
    {
        var channel = Channel.CreateUnbounded<int>();
        var buffer = new List<int> { 1 };
        // Nothing else runs in this worker: the wait ends at once, whatever the limit.
        var wait = CompletionBatcher.LingerAsync(channel.Reader, buffer, () => 1, Long);
        wait.IsCompleted.ShouldBeTrue();
        await wait;
        // No runner (SQLite, or no job runner attached): no wait either.
        CompletionBatcher.LingerAsync(channel.Reader, buffer, null, Long).IsCompleted.ShouldBeTrue();
    }

    [Fact]
    public async Task The_wait_ends_as_soon_as_every_running_job_has_completed()
    {
        var channel = Channel.CreateUnbounded<int>();
        var buffer = new List<int> { 1 };
        var running = 3;
        var wait = CompletionBatcher.LingerAsync(channel.Reader, buffer, () => running, Long);
        wait.IsCompleted.ShouldBeFalse();
        channel.Writer.TryWrite(2);
        await Task.Delay(50);
        wait.IsCompleted.ShouldBeFalse(); // one job of the three is still running
        channel.Writer.TryWrite(3);
        await wait.WaitAsync(TimeSpan.FromSeconds(10)); // well before the 30 s limit
        buffer.ShouldBe([1, 2, 3]);
    }

    [Fact]
    public async Task A_job_that_ends_elsewhere_stops_the_wait()
    {
        // A job whose attempt failed or was handed back leaves the running set without a completion.
        var channel = Channel.CreateUnbounded<int>();
        var buffer = new List<int> { 1 };
        var running = 2;
        var wait = CompletionBatcher.LingerAsync(channel.Reader, buffer, () => Volatile.Read(ref running), Long);
        Volatile.Write(ref running, 1);
        channel.Writer.TryWrite(2); // any later completion makes the batcher look again
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        buffer.ShouldBe([1, 2]);
    }

    [Fact]
    public async Task A_long_job_in_another_slot_costs_at_most_the_limit()
    {
        var channel = Channel.CreateUnbounded<int>();
        var buffer = new List<int> { 1 };
        await CompletionBatcher.LingerAsync(channel.Reader, buffer, () => 2, TimeSpan.FromMilliseconds(20)).WaitAsync(TimeSpan.FromSeconds(10));
        buffer.ShouldBe([1]);
    }

    [Fact]
    public async Task A_batch_never_grows_past_its_limit()
    {
        var channel = Channel.CreateUnbounded<int>();
        for (var i = 0; i < CompletionBatcher.MaxBatch + 10; i++) channel.Writer.TryWrite(i);
        var buffer = new List<int> { -1 };
        await CompletionBatcher.LingerAsync(channel.Reader, buffer, () => 1000, Long).WaitAsync(TimeSpan.FromSeconds(10));
        buffer.Count.ShouldBe(CompletionBatcher.MaxBatch);
    }
}

/// <summary>What the linger waits for: slots held by started jobs (JobRunner's <c>BusySlots</c>).</summary>
public sealed class SlotCountTests
{
    [Fact]
    public void A_ticket_counts_until_it_is_taken_once()
    {
        var count = new SlotCount();
        var first = new SlotTicket(count);
        var second = new SlotTicket(count);
        count.Value.ShouldBe(2);
        // The batcher takes a completing job's slot over; the job's own clean-up then finds it gone.
        first.TryTake().ShouldBeTrue();
        first.TryTake().ShouldBeFalse();
        count.Value.ShouldBe(1);
        second.TryTake().ShouldBeTrue();
        count.Value.ShouldBe(0);
        new SlotTicket().TryTake().ShouldBeTrue(); // an uncounted ticket (tests, a job started outside the runner)
        count.Value.ShouldBe(0);
    }
}

using Kiln.Core.Jobs.Events;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Jobs.Events;

public sealed class EventHubTests
{
    private static readonly Guid Ws = Guid.NewGuid();
    private static readonly Guid Other = Guid.NewGuid();
    private static readonly Guid JobA = Guid.NewGuid();

    [Fact]
    public async Task A_notice_wakes_its_workspace_and_job_and_nobody_else()
    {
        var hub = new EventHub();
        using var workspace = hub.Subscribe(Ws);
        using var job = hub.Subscribe(Ws, JobA);
        using var otherJob = hub.Subscribe(Ws, Guid.NewGuid());
        using var stranger = hub.Subscribe(Other);
        var (w, j, o, s) = (workspace.Next, job.Next, otherJob.Next, stranger.Next);

        hub.Publish(new EventNotice(Ws, JobA, 10));

        await w.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await j.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        o.IsCompleted.ShouldBeFalse();
        s.IsCompleted.ShouldBeFalse();
        hub.Seen.JobEvents.ShouldBe(10);
    }

    [Fact]
    public void Credits_notices_flag_a_credits_change_once_and_wake_all_flags_it_too()
    {
        var hub = new EventHub();
        using var sub = hub.Subscribe(Ws);
        sub.TakeCreditsChange().ShouldBeTrue(); // the first read of a stream always sends the balance
        sub.TakeCreditsChange().ShouldBeFalse();
        hub.Publish(new EventNotice(Ws, JobA, 1));
        sub.TakeCreditsChange().ShouldBeFalse();
        hub.Publish(new EventNotice(Ws, null, 5));
        sub.TakeCreditsChange().ShouldBeTrue();
        sub.TakeCreditsChange().ShouldBeFalse();
        hub.WakeAll();
        sub.TakeCreditsChange().ShouldBeTrue();
        hub.Seen.LedgerEntries.ShouldBe(5);
    }

    [Fact]
    public void Closed_subscriptions_leave_nothing_behind()
    {
        var hub = new EventHub();
        var subs = Enumerable.Range(0, 1000).Select(_ => hub.Subscribe(Ws)).ToList();
        hub.Subscribers.ShouldBe(1000);
        foreach (var s in subs) s.Dispose();
        subs[0].Dispose(); // twice is harmless
        hub.Subscribers.ShouldBe(0);
    }

    [Fact]
    public void Payloads_parse_into_notices_and_junk_is_ignored()
    {
        PostgresEventListener.Parse($"{Ws}:{JobA}:42").ShouldBe(new EventNotice(Ws, JobA, 42));
        PostgresEventListener.Parse($"{Ws}:credits:7").ShouldBe(new EventNotice(Ws, null, 7));
        PostgresEventListener.Parse("junk").ShouldBeNull();
        // What the notifier sends is what the listener reads.
        var job = new EventNotice(Ws, JobA, 9);
        PostgresEventListener.Parse(PostgresEventNotifier.Payload(job)).ShouldBe(job);
        PostgresEventListener.Parse(PostgresEventNotifier.Payload(new EventNotice(Ws, null, 3))).ShouldBe(new EventNotice(Ws, null, 3));
        PostgresEventListener.Parse($"{Ws}:nope:1").ShouldBeNull();
    }

    [Fact]
    public void The_cursor_rereads_recent_ids_until_they_settle_so_a_late_commit_with_a_smaller_id_is_not_skipped()
    {
        var clock = new FakeTimeProvider();
        var cursor = new EventCursor(100, clock, TimeSpan.FromSeconds(5));
        cursor.Sent(102); // 101 was inserted first but has not committed yet
        var mark = cursor.SettledMark();
        cursor.Advance(mark);
        cursor.Low.ShouldBe(100);                 // still reads id > 100 …
        cursor.Recent.ShouldBe([102]);            // … except what it sent
        cursor.Highest.ShouldBe(102);

        clock.Advance(TimeSpan.FromSeconds(1));
        cursor.Sent(101);                         // the late commit arrives on the next read
        clock.Advance(TimeSpan.FromSeconds(5));
        mark = cursor.SettledMark();              // taken before the read that settles them
        mark.ShouldBe(102);
        cursor.Advance(mark);
        cursor.Low.ShouldBe(102);
        cursor.Recent.ShouldBeEmpty();
    }
}

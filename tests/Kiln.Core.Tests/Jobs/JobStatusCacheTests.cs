using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Events;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Jobs;

public sealed class JobStatusCacheTests
{
    private static readonly Guid Ws = Guid.NewGuid();
    private static readonly Guid Member = Guid.NewGuid();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 8, 0, 0, TimeSpan.Zero));

    private JobStatusCache Cache(double seconds = 2, int entries = 100) =>
        new(Options.Create(new JobStatusCacheOptions { StatusCacheSeconds = seconds, StatusCacheEntries = entries }), _time);

    private static void Fill(JobStatusCache cache, Guid job, object value, Guid? createdBy = null) =>
        cache.Store(job, cache.Stamp(job), new JobVisibility(Ws, createdBy ?? Member), value);

    [Fact]
    public void A_stored_response_is_served_until_it_expires()
    {
        var cache = Cache(seconds: 2);
        var job = Guid.NewGuid();
        Fill(cache, job, "queued");
        cache.TryGet<string>(job, Ws, null, out var hit).ShouldBeTrue();
        hit.ShouldBe("queued");
        _time.Advance(TimeSpan.FromSeconds(1.9));
        cache.TryGet<string>(job, Ws, null, out _).ShouldBeTrue();
        _time.Advance(TimeSpan.FromSeconds(0.2));
        cache.TryGet<string>(job, Ws, null, out _).ShouldBeFalse();
    }

    [Fact]
    public void Another_workspace_or_another_members_private_job_is_never_answered_from_memory()
    {
        var cache = Cache();
        var job = Guid.NewGuid();
        Fill(cache, job, "mine");
        cache.TryGet<string>(job, Guid.NewGuid(), null, out _).ShouldBeFalse();
        cache.TryGet<string>(job, Ws, Guid.NewGuid(), out _).ShouldBeFalse(); // private-scoped member: only their own jobs
        cache.TryGet<string>(job, Ws, Member, out _).ShouldBeTrue();
        cache.TryGet<string>(job, Ws, null, out _).ShouldBeTrue();
    }

    [Fact]
    public void A_change_during_the_read_that_filled_it_keeps_the_older_copy_out()
    {
        var cache = Cache();
        var job = Guid.NewGuid();
        var stamp = cache.Stamp(job);  // the request starts its database read…
        cache.Invalidate(job);         // …the job changes and its notice arrives…
        cache.Store(job, stamp, new JobVisibility(Ws, Member), "before the change"); // …and the read finishes
        cache.TryGet<string>(job, Ws, null, out _).ShouldBeFalse();

        Fill(cache, job, "after");
        cache.Invalidate(job);
        cache.TryGet<string>(job, Ws, null, out _).ShouldBeFalse();
    }

    [Fact]
    public void The_hub_drops_a_job_on_its_notice_and_everything_when_it_wakes_all()
    {
        var cache = Cache();
        var hub = new EventHub(cache);
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        Fill(cache, a, "a");
        Fill(cache, b, "b");
        hub.Publish(new EventNotice(Ws, null, 1)); // credits: no job changed
        cache.TryGet<string>(a, Ws, null, out _).ShouldBeTrue();
        hub.Publish(new EventNotice(Ws, a, 2));
        cache.TryGet<string>(a, Ws, null, out _).ShouldBeFalse();
        cache.TryGet<string>(b, Ws, null, out _).ShouldBeTrue();
        hub.WakeAll();
        cache.TryGet<string>(b, Ws, null, out _).ShouldBeFalse();
    }

    [Fact]
    public void Memory_is_bounded_and_the_recently_read_stay()
    {
        var cache = Cache(entries: 100);
        var hot = Guid.NewGuid();
        Fill(cache, hot, "hot");
        for (var i = 0; i < 1000; i++)
        {
            Fill(cache, Guid.NewGuid(), i);
            cache.TryGet<string>(hot, Ws, null, out _).ShouldBeTrue();
            cache.Count.ShouldBeLessThanOrEqualTo(100);
        }
    }

    [Fact]
    public void Zero_seconds_turns_it_off()
    {
        var cache = Cache(seconds: 0);
        var job = Guid.NewGuid();
        Fill(cache, job, "x");
        cache.Enabled.ShouldBeFalse();
        cache.TryGet<string>(job, Ws, null, out _).ShouldBeFalse();
    }
}

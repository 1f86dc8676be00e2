using Kiln.Core.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Common;

/// <summary>The background-loop convention, driven by a fake clock: nothing here sleeps.</summary>
public sealed class ScopedLoopTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Error = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan First = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Plays a script of pass results: true = busy, false = idle, null = throw.</summary>
    private sealed class ScriptedLoop(TimeProvider time, TimeSpan first, params bool?[] script)
        : ScopedLoop(new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(), time, NullLogger.Instance)
    {
        private int _next;
        public int Passes => Volatile.Read(ref _next);
        public List<IServiceProvider> Scopes { get; } = [];
        public List<DateTimeOffset> RanAt { get; } = [];

        protected override string Name => "Scripted loop";
        protected override TimeSpan IdleDelay => Idle;
        protected override TimeSpan ErrorDelay => Error;
        protected override TimeSpan FirstDelay => first;

        protected override Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
        {
            Scopes.Add(services);
            RanAt.Add(Time.GetUtcNow());
            var i = Interlocked.Increment(ref _next) - 1;
            var result = i < script.Length ? script[i] : false;
            return result is { } busy ? Task.FromResult(busy) : throw new InvalidOperationException("pass failed");
        }
    }

    [Fact]
    public async Task A_busy_pass_goes_again_at_once_and_an_idle_one_waits_the_idle_delay_on_the_clock()
    {
        var time = new FakeTimeProvider();
        using var loop = new ScriptedLoop(time, TimeSpan.Zero, true, true, false, false);
        var idle = loop.WaitForIdlePassAsync(TestContext.Current.CancellationToken);
        await loop.StartAsync(TestContext.Current.CancellationToken);
        await idle.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        loop.Passes.ShouldBe(3);

        var next = loop.WaitForIdlePassAsync(TestContext.Current.CancellationToken);
        time.Advance(Idle - TimeSpan.FromSeconds(1));
        loop.Passes.ShouldBe(3);
        next.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromSeconds(1));
        await next.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        loop.Passes.ShouldBe(4);
        loop.Scopes.Distinct().Count().ShouldBe(4, "each pass runs in its own scope");
        await loop.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_failed_pass_is_survived_and_retried_after_the_error_delay()
    {
        var time = new FakeTimeProvider();
        using var loop = new ScriptedLoop(time, TimeSpan.Zero, null, false);
        var failed = loop.WaitForPassAsync(TestContext.Current.CancellationToken);
        await loop.StartAsync(TestContext.Current.CancellationToken);
        (await failed.WaitAsync(Timeout, TestContext.Current.CancellationToken)).ShouldBe(LoopPass.Failed);

        var idle = loop.WaitForIdlePassAsync(TestContext.Current.CancellationToken);
        time.Advance(Idle);
        loop.Passes.ShouldBe(1, "a failure waits the error delay, not the idle delay");
        time.Advance(Error - Idle);
        await idle.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        loop.Passes.ShouldBe(2);
        await loop.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task The_first_pass_waits_the_first_delay_and_stopping_ends_the_wait()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        using var loop = new ScriptedLoop(time, First);
        var idle = loop.WaitForIdlePassAsync(TestContext.Current.CancellationToken);
        await loop.StartAsync(TestContext.Current.CancellationToken);
        // The host starts ExecuteAsync on its own thread: step the clock until the armed first delay is reached.
        while (!idle.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        await idle.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        loop.Passes.ShouldBe(1);
        loop.RanAt[0].ShouldBeGreaterThanOrEqualTo(start + First);

        await loop.StopAsync(TestContext.Current.CancellationToken);
        loop.ExecuteTask!.IsCompletedSuccessfully.ShouldBeTrue();
        time.Advance(Idle);
        loop.Passes.ShouldBe(1);
    }

    [Fact]
    public async Task RunOnceAsync_runs_one_pass_and_throws_its_failure()
    {
        using var loop = new ScriptedLoop(new FakeTimeProvider(), TimeSpan.Zero, true, null);
        (await loop.RunOnceAsync(TestContext.Current.CancellationToken)).ShouldBeTrue();
        await Should.ThrowAsync<InvalidOperationException>(() => loop.RunOnceAsync(TestContext.Current.CancellationToken));
    }
}

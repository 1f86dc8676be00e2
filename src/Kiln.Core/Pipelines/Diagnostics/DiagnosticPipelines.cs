using System.Diagnostics;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines.Diagnostics;

/// <summary>
/// Pipelines for operators to smoke-test an installation and for the queue's tests and benchmarks: they need no
/// input and exercise success, long runs with a child process, and failure. Enabled by
/// <c>Kiln:Pipelines:Diagnostics=true</c>. Their price is the <c>cost</c> option (one credit per unit).
/// </summary>
public abstract class DiagnosticPipeline<TOptions> : Pipeline<TOptions> where TOptions : DiagnosticOptions, new()
{
    public override string Version => "1";
    public override IReadOnlyList<InputSlot> Slots => [];
    public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal> { ["credit"] = 1 });
    public override Result<PipelineQuote> Plan(TOptions options, InputSet<InputFacts> inputs) => Quote(options, new Usage("credit", options.Cost, "Test credits"));
}

public abstract record DiagnosticOptions
{
    [Description("What the job costs, in credits."), Range(0, 1_000_000)]
    public abstract long Cost { get; init; }
}

public sealed record NoopOptions : DiagnosticOptions
{
    public override long Cost { get; init; } = 1;
}

/// <summary>Does nothing and succeeds: the queue's throughput benchmark runs it.</summary>
public sealed class NoopPipeline : DiagnosticPipeline<NoopOptions>
{
    public override string Id => "noop";
    public override string Name => "No-op";
    public override string Description => "Succeeds at once. For smoke tests and benchmarks.";
    public override int DefaultTimeoutSeconds => 60;

    public override Task<PipelineOutcome> Run(PipelineContext context, NoopOptions options, CancellationToken ct) => Task.FromResult(new PipelineOutcome());
}

public sealed record SleepOptions : DiagnosticOptions
{
    [Range(1, 3600)]
    public int Seconds { get; init; } = 5;
    public override long Cost { get; init; } = 2;
    [Description("Credits to capture instead of the estimate."), Range(0, long.MaxValue)]
    public long? ActualCost { get; init; }
}

/// <summary>Runs `sleep` as a child process for a while, reporting progress, then writes a small artifact.</summary>
public sealed class SleepPipeline : DiagnosticPipeline<SleepOptions>
{
    public override string Id => "sleep";
    public override string Name => "Sleep";
    public override string Description => "Waits in a child process, reporting progress. For testing cancel and recovery.";
    public override IReadOnlyList<string> Produces => ["sleep.txt"];
    public override int DefaultTimeoutSeconds => 3600;
    public override IReadOnlyList<string> RequiredTools => ["sleep"];

    public override async Task<PipelineOutcome> Run(PipelineContext context, SleepOptions options, CancellationToken ct)
    {
        var seconds = options.Seconds;
        var psi = new ProcessStartInfo("sleep", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)) { UseShellExecute = false };
        using var child = Process.Start(psi) ?? throw new PipelineException("tool_missing", "`sleep` could not be started.");
        await context.Reporter.LogAsync($"child process {child.Id} started", ct);
        try
        {
            var started = Stopwatch.StartNew();
            while (!child.HasExited)
            {
                var pct = (int)Math.Min(99, started.Elapsed.TotalSeconds * 100 / seconds);
                await context.Reporter.ProgressAsync(pct, "sleeping", $"{started.Elapsed.TotalSeconds:0} of {seconds} s", ct);
                await Task.WhenAny(child.WaitForExitAsync(ct), Task.Delay(250, ct));
                ct.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync(CancellationToken.None);
            }
        }
        var path = Path.Combine(context.ScratchDirectory, "sleep.txt");
        await File.WriteAllTextAsync(path, $"slept {seconds} s\n", ct);
        await context.Artifacts.AddAsync("sleep.txt", "text/plain", path, ct);
        await context.Reporter.ProgressAsync(100, "done", null, ct);
        return new PipelineOutcome(options.ActualCost);
    }
}

public sealed record FailOptions : DiagnosticOptions
{
    [Description("Fail with a transient error (retried) instead of a permanent one.")]
    public bool Transient { get; init; }
    public override long Cost { get; init; } = 1;
}

/// <summary>Fails half way with a readable message (transient when asked, to exercise retries).</summary>
public sealed class FailPipeline : DiagnosticPipeline<FailOptions>
{
    public override string Id => "fail";
    public override string Name => "Fail";
    public override string Description => "Fails half way. For testing failure handling.";
    public override int DefaultTimeoutSeconds => 60;

    public override async Task<PipelineOutcome> Run(PipelineContext context, FailOptions options, CancellationToken ct)
    {
        await context.Reporter.ProgressAsync(50, "working", "half way", ct);
        throw new PipelineException("step_failed", "The 'working' step failed: the diagnostic pipeline always fails here.", options.Transient);
    }
}

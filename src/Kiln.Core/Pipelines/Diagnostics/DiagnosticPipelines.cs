using System.Diagnostics;
using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines.Diagnostics;

/// <summary>
/// Pipelines for operators to smoke-test an installation and for the queue's tests and benchmarks: they need no
/// input and exercise success, long runs with a child process, and failure. Enabled by
/// <c>Kiln:Pipelines:Diagnostics=true</c>.
/// </summary>
internal static class DiagnosticOptions
{
    public static JsonElement Schema(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static Result<PipelinePlan> Plan(JsonElement options, long cost, params string[] allowed)
    {
        foreach (var p in options.EnumerateObject())
            if (!allowed.Contains(p.Name)) return Error.Invalid("invalid_options", $"Unknown option '{p.Name}'.");
        if (options.TryGetProperty("cost", out var c) && (c.ValueKind != JsonValueKind.Number || !c.TryGetInt64(out cost) || cost < 0 || cost > 1_000_000))
            return Error.Invalid("invalid_options", "'cost' must be a whole number of credits between 0 and 1000000.");
        return new PipelinePlan(options, cost);
    }
}

/// <summary>Does nothing and succeeds: the queue's throughput benchmark runs it.</summary>
public sealed class NoopPipeline : IPipeline
{
    public PipelineDescriptor Descriptor { get; } = new("noop", "No-op", "1", "Succeeds at once. For smoke tests and benchmarks.",
        [], [], DiagnosticOptions.Schema("""{"type":"object","properties":{"cost":{"type":"integer","minimum":0,"default":1}}}"""), 60, 0);

    public Result<PipelinePlan> Plan(JsonElement options, IReadOnlyList<InputFacts> inputs) => DiagnosticOptions.Plan(options, 1, "cost");

    public Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct) => Task.FromResult(new PipelineOutcome());
}

/// <summary>Runs `sleep` as a child process for a while, reporting progress, then writes a small artifact.</summary>
public sealed class SleepPipeline : IPipeline
{
    public PipelineDescriptor Descriptor { get; } = new("sleep", "Sleep", "1", "Waits in a child process, reporting progress. For testing cancel and recovery.",
        [], ["sleep.txt"], DiagnosticOptions.Schema("""{"type":"object","properties":{"seconds":{"type":"integer","minimum":1,"maximum":3600,"default":5},"cost":{"type":"integer","minimum":0,"default":2},"actualCost":{"type":"integer","minimum":0}}}"""), 3600, 0);

    public Result<PipelinePlan> Plan(JsonElement options, IReadOnlyList<InputFacts> inputs)
    {
        if (options.TryGetProperty("seconds", out var s) && (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out var v) || v is < 1 or > 3600))
            return Error.Invalid("invalid_options", "'seconds' must be between 1 and 3600.");
        if (options.TryGetProperty("actualCost", out var a) && (a.ValueKind != JsonValueKind.Number || !a.TryGetInt64(out var actual) || actual < 0))
            return Error.Invalid("invalid_options", "'actualCost' must be a whole number of credits, 0 or more.");
        return DiagnosticOptions.Plan(options, 2, "seconds", "cost", "actualCost");
    }

    public async Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct)
    {
        var seconds = context.Options.TryGetProperty("seconds", out var s) ? s.GetInt32() : 5;
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
        return new PipelineOutcome(context.Options.TryGetProperty("actualCost", out var a) ? a.GetInt64() : null);
    }
}

/// <summary>Fails half way with a readable message (transient when asked, to exercise retries).</summary>
public sealed class FailPipeline : IPipeline
{
    public PipelineDescriptor Descriptor { get; } = new("fail", "Fail", "1", "Fails half way. For testing failure handling.",
        [], [], DiagnosticOptions.Schema("""{"type":"object","properties":{"transient":{"type":"boolean","default":false},"cost":{"type":"integer","minimum":0,"default":1}}}"""), 60, 0);

    public Result<PipelinePlan> Plan(JsonElement options, IReadOnlyList<InputFacts> inputs) => DiagnosticOptions.Plan(options, 1, "transient", "cost");

    public async Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct)
    {
        await context.Reporter.ProgressAsync(50, "working", "half way", ct);
        var transient = context.Options.TryGetProperty("transient", out var t) && t.ValueKind == JsonValueKind.True;
        throw new PipelineException("step_failed", "The 'working' step failed: the diagnostic pipeline always fails here.", transient);
    }
}

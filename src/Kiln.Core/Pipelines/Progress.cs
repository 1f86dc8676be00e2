namespace Kiln.Core.Pipelines;

/// <summary>
/// Step-weighted progress, so no pipeline does percentage arithmetic by hand. Weights are shares of the whole job
/// (they need not add up to 1; what is left is reached at <see cref="DoneAsync"/>):
/// <code>
/// using (var step = context.Progress.Step("extract", 0.2)) { await step.ReportAsync(i, n, $"Page {i} of {n}", ct); }
/// using (var step = context.Progress.Step("tts", 0.6)) { … }
/// await context.Progress.DoneAsync(ct);
/// </code>
/// </summary>
public sealed class PipelineProgress(IPipelineReporter reporter)
{
    private double _completed;

    /// <summary>Where the job stands, 0–1.</summary>
    public double Fraction => Math.Min(1, _completed);

    public ProgressStep Step(string name, double weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        return new ProgressStep(this, name, _completed, weight);
    }

    public Task DoneAsync(CancellationToken ct, string? message = "Finished")
    {
        _completed = 1;
        return reporter.ProgressAsync(100, "done", message, ct);
    }

    internal Task ReportAsync(string step, double at, string? message, CancellationToken ct) =>
        reporter.ProgressAsync((int)Math.Clamp(Math.Floor(at * 100), 0, 99), step, message, ct);

    internal void Complete(double end) => _completed = Math.Max(_completed, end);

    public Task LogAsync(string line, CancellationToken ct) => reporter.LogAsync(line, ct);
}

/// <summary>One step of a job; disposing it marks its whole weight done.</summary>
public sealed class ProgressStep : IDisposable
{
    private readonly PipelineProgress _owner;
    private readonly double _start;
    private readonly double _weight;

    internal ProgressStep(PipelineProgress owner, string name, double start, double weight) =>
        (_owner, Name, _start, _weight) = (owner, name, start, weight);

    public string Name { get; }

    /// <summary>Reports the start of the step with a message.</summary>
    public Task StartAsync(string? message, CancellationToken ct) => _owner.ReportAsync(Name, _start, message, ct);

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> units of this step finished.</summary>
    public Task ReportAsync(int done, int total, string? message, CancellationToken ct) =>
        ReportAsync(total <= 0 ? 1 : (double)done / total, message, ct);

    /// <summary>Reports a share (0–1) of this step finished.</summary>
    public Task ReportAsync(double fraction, string? message, CancellationToken ct) =>
        _owner.ReportAsync(Name, _start + _weight * Math.Clamp(fraction, 0, 1), message, ct);

    public void Dispose() => _owner.Complete(_start + _weight);
}

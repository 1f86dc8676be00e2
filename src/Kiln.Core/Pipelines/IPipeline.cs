using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines;

/// <summary>
/// A pipeline: a descriptor, option validation with a cost estimate, and the work itself. The worker and the CLI
/// run the same <see cref="RunAsync"/>; only the <see cref="PipelineContext"/> they pass differs.
/// </summary>
public interface IPipeline
{
    PipelineDescriptor Descriptor { get; }

    /// <summary>
    /// Validates options against the inputs' probed facts and estimates the cost in credits. Returns the
    /// normalized options (defaults filled in) that the job stores and the run receives.
    /// </summary>
    Result<PipelinePlan> Plan(JsonElement options, IReadOnlyList<InputFacts> inputs);

    Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct);
}

/// <param name="OptionsSchema">A JSON Schema (draft 2020-12 subset) of the options; the UI renders a form from it.</param>
/// <param name="AcceptedInputKinds">Upload kinds accepted: "pdf", "audio", "video", "subtitles", "text", "url".</param>
public sealed record PipelineDescriptor(
    string Id,
    string Name,
    string Version,
    string Description,
    IReadOnlyList<string> AcceptedInputKinds,
    IReadOnlyList<string> Produces,
    JsonElement OptionsSchema,
    int DefaultTimeoutSeconds = 1800,
    int MaxInputs = 1);

/// <summary>What the platform knows about an input before the job runs (from upload validation).</summary>
/// <param name="Metadata">Probed facts: <c>pages</c> for PDFs, <c>durationSeconds</c> for media.</param>
public sealed record InputFacts(string Kind, string FileName, long Size, JsonElement Metadata);

public sealed record PipelinePlan(JsonElement Options, long EstimatedCost);

/// <param name="ActualCost">Credits to capture; null captures the estimate.</param>
public sealed record PipelineOutcome(long? ActualCost = null);

/// <summary>An input file on local disk, ready to read.</summary>
public sealed record PipelineInput(string Path, string FileName, string Kind, JsonElement Metadata);

/// <summary>Everything a running pipeline may use.</summary>
public sealed class PipelineContext
{
    public required Guid JobId { get; init; }
    public required IReadOnlyList<PipelineInput> Inputs { get; init; }
    public required JsonElement Options { get; init; }
    /// <summary>A private, writable directory deleted after the run.</summary>
    public required string ScratchDirectory { get; init; }
    public required IPipelineReporter Reporter { get; init; }
    public required IArtifactSink Artifacts { get; init; }
    public required IServiceProvider Services { get; init; }
}

public interface IPipelineReporter
{
    /// <summary>Progress of the whole job, 0–100, with the current step's name and a human message.</summary>
    Task ProgressAsync(int percent, string step, string? message, CancellationToken ct);
    Task LogAsync(string line, CancellationToken ct);
}

public interface IArtifactSink
{
    /// <summary>Stores a file the pipeline produced under <paramref name="name"/> (unique per job).</summary>
    Task AddAsync(string name, string contentType, string localPath, CancellationToken ct);
}

/// <summary>
/// A failure the pipeline understands. <see cref="Transient"/> failures are retried with backoff; permanent ones
/// fail the job at once. The message is shown to the user, so it must be readable and free of paths and secrets.
/// </summary>
public sealed class PipelineException(string code, string message, bool transient = false, Exception? inner = null)
    : Exception(message, inner)
{
    public string Code { get; } = code;
    public bool Transient { get; } = transient;
}

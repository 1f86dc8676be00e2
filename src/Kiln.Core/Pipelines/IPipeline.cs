using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Pipelines;

/// <summary>
/// What the platform sees of a pipeline. Write pipelines by deriving from <see cref="Pipeline{TOptions}"/>: it
/// generates the options schema from a typed record, validates options once, and hands <c>Plan</c> and <c>Run</c>
/// the typed value. The worker and <c>kiln run</c> both run a pipeline through <see cref="PipelineHost"/>.
/// </summary>
public interface IPipeline
{
    PipelineDescriptor Descriptor { get; }

    /// <summary>Reads and validates options JSON; absent or null options mean all defaults.</summary>
    Result<object> ParseOptions(JsonElement options);

    /// <summary>Checks the options against the inputs' facts and measures what the job will use (pages, minutes…).
    /// Inputs have already been checked against the slots. Returns normalized options (defaults filled in).</summary>
    Result<PipelineQuote> Plan(object options, InputSet<InputFacts> inputs);

    JsonElement SerializeOptions(object options);

    Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct);
}

/// <param name="OptionsSchema">JSON Schema (draft 2020-12) generated from the options type; the UI renders a form from it.</param>
/// <param name="Slots">The named inputs the pipeline takes.</param>
/// <param name="ResourceClass">"light" or "heavy": a worker runs a limited number of heavy jobs at once.</param>
/// <param name="Pricing">The default prices per meter; an operator overrides them under <c>Kiln:Pipelines:{id}:Pricing</c>.</param>
/// <param name="RequiredTools">Executables a worker must have on PATH to run this pipeline.</param>
/// <param name="RetentionHours">How long the pipeline's outputs are kept (dubbing: 48 h), when shorter than the plan's retention; null keeps them as the plan says.</param>
public sealed record PipelineDescriptor(
    string Id,
    string Name,
    string Version,
    string Description,
    IReadOnlyList<InputSlot> Slots,
    IReadOnlyList<string> Produces,
    JsonElement OptionsSchema,
    PriceList Pricing,
    int DefaultTimeoutSeconds = 1800,
    string ResourceClass = ResourceClasses.Light,
    IReadOnlyList<string>? RequiredTools = null,
    int? RetentionHours = null)
{
    /// <summary>Every kind any slot accepts (for the pipeline list and the upload picker).</summary>
    public IReadOnlyList<string> AcceptedInputKinds => Slots.SelectMany(s => s.Kinds).Distinct(StringComparer.Ordinal).ToList();

    public InputSlot? Slot(string name) => Slots.FirstOrDefault(s => s.Name == name);
}

public static class ResourceClasses
{
    public const string Light = "light";
    public const string Heavy = "heavy";
}

/// <summary>A named input. <paramref name="Kinds"/> are upload kinds: pdf, audio, video, subtitles, text, image.</summary>
public sealed record InputSlot(string Name, string Label, IReadOnlyList<string> Kinds, bool Required = true, int MaxCount = 1, string? Description = null);

/// <summary>The options a job stores (normalized) and what it will use, priced by the catalog.</summary>
public sealed record PipelineQuote(object Options, IReadOnlyList<Usage> Usage)
{
    /// <summary>Plan features the job needs (premium voices): job creation refuses it with 422 when the workspace's plan lacks one.</summary>
    public IReadOnlyList<FeatureRequirement> Requires { get; init; } = [];
}

/// <summary>A plan feature a job needs, and what in the request needs it, in words (<c>Premium voice 'openai:nova'</c>).</summary>
public sealed record FeatureRequirement(string Feature, string What);

/// <summary>How much of a priced meter a job uses, e.g. <c>new Usage("page", 12, "Pages")</c>.</summary>
public sealed record Usage(string Meter, decimal Quantity, string Label);

/// <param name="ActualCost">Credits to capture; null captures the estimate.</param>
public sealed record PipelineOutcome(long? ActualCost = null);

/// <summary>An input file on local disk, ready to read, with what was learned when it was uploaded.</summary>
public sealed record PipelineInput(string Slot, string Path, InputFacts Facts) : ISlotted
{
    public string FileName => Facts.FileName;
    public string Kind => Facts.Kind;
}

/// <summary>Everything a running pipeline may use.</summary>
public sealed class PipelineContext
{
    public required Guid JobId { get; init; }
    public Guid WorkspaceId { get; init; }
    public Guid? UserId { get; init; }
    public required InputSet<PipelineInput> Inputs { get; init; }
    /// <summary>The validated, typed options (the pipeline's own options record).</summary>
    public required object Options { get; init; }
    /// <summary>
    /// A private, writable directory deleted after the attempt. It is created on first use: most instant pipelines never
    /// touch it, and a directory made and removed per job was a measurable share of a worker's time at thousands of
    /// jobs a second. (Concurrent first uses each create it; creating an existing directory is a no-op.)
    /// </summary>
    public required string ScratchDirectory
    {
        get
        {
            if (!_scratchMade) { Directory.CreateDirectory(_scratch); _scratchMade = true; }
            return _scratch;
        }
        init => _scratch = value;
    }
    private readonly string _scratch = "";
    private volatile bool _scratchMade;
    public required IPipelineReporter Reporter { get; init; }
    public required IArtifactSink Artifacts { get; init; }
    /// <summary>A DI scope for this attempt only (never the root provider).</summary>
    public required IServiceProvider Services { get; init; }
    public ILogger Logger { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    /// <summary>Outputs of finished steps kept with the job, so a retry resumes after them.</summary>
    public ICheckpointStore Checkpoints { get; init; } = NoCheckpoints.Instance;
    /// <summary>Per-part progress, cost and result (dubbing's languages), stored under the job.</summary>
    public ISubtaskReporter Subtasks { get; init; } = NoSubtasks.Instance;
    /// <summary>This attempt's number (1 = first) and the job's limit: a pipeline may treat a transient failure on the last
    /// attempt as final for one part instead of losing the parts that succeeded.</summary>
    public int Attempt { get; init; } = 1;
    public int MaxAttempts { get; init; } = 1;

    private PipelineProgress? _progress;
    /// <summary>Step-weighted progress: <c>using var step = context.Progress.Step("tts", 0.6);</c>.</summary>
    public PipelineProgress Progress => _progress ??= new PipelineProgress(Reporter);
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

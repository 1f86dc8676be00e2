using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines;

/// <summary>
/// The base of every built-in pipeline. Declare the options as a record with defaults and DataAnnotations, the
/// slots, the default prices; implement <see cref="Plan(TOptions, InputSet{InputFacts})"/> (pure: options and input
/// facts → usage) and <see cref="Run"/>. See docs/pipelines.md for a worked example.
/// </summary>
public abstract class Pipeline<TOptions> : IPipeline where TOptions : class, new()
{
    private static readonly OptionsSchema<TOptions> Options = new();
    private PipelineDescriptor? _descriptor;

    public PipelineDescriptor Descriptor => _descriptor ??= new PipelineDescriptor(
        Id, Name, Version, Description, Slots, Produces, Options.Schema, DefaultPricing, DefaultTimeoutSeconds, ResourceClass, RequiredTools, RetentionHours);

    public abstract string Id { get; }
    public abstract string Name { get; }
    public virtual string Version => "1.0.0";
    public abstract string Description { get; }
    public abstract IReadOnlyList<InputSlot> Slots { get; }
    public virtual IReadOnlyList<string> Produces => [];
    public abstract PriceList DefaultPricing { get; }
    public virtual int DefaultTimeoutSeconds => 1800;
    public virtual string ResourceClass => ResourceClasses.Light;
    public virtual IReadOnlyList<string> RequiredTools => [];
    /// <summary>Hours the outputs are kept (null: the plan's artifact retention); <c>Kiln:Pipelines:{id}:RetentionHours</c> overrides it.</summary>
    public virtual int? RetentionHours => null;

    /// <summary>Rules that span several options (the schema's attributes cover one option each).</summary>
    protected virtual Error? Validate(TOptions options) => null;

    /// <summary>Checks options against the input facts and measures the usage. Pure and deterministic.</summary>
    public abstract Result<PipelineQuote> Plan(TOptions options, InputSet<InputFacts> inputs);

    public abstract Task<PipelineOutcome> Run(PipelineContext context, TOptions options, CancellationToken ct);

    public Result<object> ParseOptions(JsonElement options)
    {
        var parsed = Options.Parse(options);
        if (parsed.Error is { } error) return error;
        if (Validate(parsed.Value!) is { } rule) return rule;
        return parsed.Value!;
    }

    Result<PipelineQuote> IPipeline.Plan(object options, InputSet<InputFacts> inputs) => Plan((TOptions)options, inputs);

    public JsonElement SerializeOptions(object options) => Options.Serialize((TOptions)options);

    Task<PipelineOutcome> IPipeline.RunAsync(PipelineContext context, CancellationToken ct) => Run(context, (TOptions)context.Options, ct);

    /// <summary>An <c>invalid_options</c> error naming <paramref name="field"/> (for cross-field rules in <see cref="Validate"/>).</summary>
    protected static Error InvalidOption(string field, string message) => PipelineErrors.InvalidOptions(field, "rule", message);

    protected static PipelineQuote Quote(TOptions options, params Usage[] usage) => new(options, usage);
}

using Kiln.Core.Common;
using Microsoft.Extensions.Configuration;

namespace Kiln.Core.Pipelines;

/// <summary>
/// All registered pipelines by id, with the operator's settings (<c>Kiln:Pipelines:{id}</c>: Enabled,
/// TimeoutSeconds, Pricing). Built once at start: duplicate ids or a pipeline without a usable schema stop the host
/// with a message that says which pipeline is wrong.
/// </summary>
public sealed class PipelineCatalog
{
    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);

    private sealed record Entry(IPipeline Pipeline, PipelineSettings Settings, PriceList Prices);

    public PipelineCatalog(IEnumerable<IPipeline> pipelines, IConfiguration? configuration = null)
    {
        foreach (var p in pipelines)
        {
            PipelineDescriptor d;
            try { d = p.Descriptor; }
            catch (Exception ex) { throw new InvalidOperationException($"Pipeline {p.GetType().Name} could not describe itself: {ex.Message}", ex); }
            if (string.IsNullOrWhiteSpace(d.Id) || d.Id.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
                throw new InvalidOperationException($"Pipeline {p.GetType().Name} has an invalid id '{d.Id}': use lowercase letters, digits and '-'.");
            if (_byId.TryGetValue(d.Id, out var other))
                throw new InvalidOperationException($"Two pipelines have the id '{d.Id}': {other.Pipeline.GetType().Name} and {p.GetType().Name}.");
            if (d.OptionsSchema.ValueKind != System.Text.Json.JsonValueKind.Object)
                throw new InvalidOperationException($"Pipeline '{d.Id}' has no options schema object.");
            if (d.Slots.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count() != d.Slots.Count)
                throw new InvalidOperationException($"Pipeline '{d.Id}' declares two input slots with the same name.");
            var settings = configuration?.GetSection($"Kiln:Pipelines:{d.Id}").Get<PipelineSettings>() ?? new PipelineSettings();
            // The older key Kiln:Pipelines:TimeoutSeconds:{id} keeps working.
            settings.TimeoutSeconds ??= configuration?.GetValue<int?>($"Kiln:Pipelines:TimeoutSeconds:{d.Id}");
            if (!settings.Enabled) continue;
            // Every default must price the same way after the operator's overrides: a missing unit fails now, not on a user's job.
            _byId[d.Id] = new Entry(p, settings, d.Pricing.With(settings.Pricing));
        }
    }

    public IReadOnlyCollection<IPipeline> All => _byId.Values.Select(e => e.Pipeline).ToList();

    public IPipeline? Find(string id) => _byId.GetValueOrDefault(id)?.Pipeline;

    /// <summary>The prices in force for a pipeline (its defaults with the operator's overrides).</summary>
    public PriceList Prices(IPipeline pipeline) => _byId[pipeline.Descriptor.Id].Prices;

    /// <summary>
    /// The run-time limit of a job of this pipeline: <c>Kiln:Pipelines:{id}:TimeoutSeconds</c> when the operator set
    /// one, else the pipeline's default. A job over its limit is stopped (child processes killed) and fails.
    /// </summary>
    public int TimeoutSeconds(IPipeline pipeline) =>
        _byId[pipeline.Descriptor.Id].Settings.TimeoutSeconds is > 0 and var seconds ? seconds : pipeline.Descriptor.DefaultTimeoutSeconds;

    /// <summary>Hours a job's outputs are kept for this pipeline (<c>Kiln:Pipelines:{id}:RetentionHours</c>, else its default), or null
    /// when only the plan's retention applies.</summary>
    public int? RetentionHours(string pipelineId) =>
        _byId.GetValueOrDefault(pipelineId) is not { } e ? null
        : e.Settings.RetentionHours is { } h ? (h > 0 ? h : null)
        : e.Pipeline.Descriptor.RetentionHours;

    /// <summary>Validates options, plans and prices a job from its inputs' facts (already checked against the slots).</summary>
    public Result<PlannedJob> Plan(IPipeline pipeline, System.Text.Json.JsonElement options, InputSet<InputFacts> inputs)
    {
        var parsed = pipeline.ParseOptions(options);
        if (parsed.Error is { } error) return error;
        var quote = pipeline.Plan(parsed.Value!, inputs);
        if (quote.Error is { } planError) return planError;
        var estimate = Prices(pipeline).Price(quote.Value!.Usage);
        return new PlannedJob(pipeline.SerializeOptions(quote.Value.Options), quote.Value.Options, estimate) { Requires = quote.Value.Requires };
    }
}

/// <summary>A validated and priced job: the options the job stores, their typed value, and the estimate with its lines.</summary>
public sealed record PlannedJob(System.Text.Json.JsonElement OptionsJson, object Options, PriceEstimate Estimate)
{
    public long EstimatedCost => Estimate.Total;
    /// <summary>Plan features the job needs (see <see cref="PipelineQuote.Requires"/>).</summary>
    public IReadOnlyList<FeatureRequirement> Requires { get; init; } = [];
}

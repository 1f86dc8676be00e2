using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines.Command;

/// <summary>
/// An operator-registered command line tool (<c>Kiln:CommandPipelines:{id}</c>) as a pipeline: its options schema
/// and slots come from configuration, its price from <see cref="CommandPrice"/>, and each run goes through
/// <see cref="CommandRunner"/> (own process group, allowlisted environment, prlimit, artifacts only from scratch).
/// </summary>
public sealed class CommandPipeline(CommandPipelineDefinition definition, CommandRunner runner) : IPipeline
{
    public CommandPipelineDefinition Definition => definition;

    public PipelineDescriptor Descriptor { get; } = new(
        definition.Id,
        definition.Name,
        "command",
        definition.Description,
        definition.Inputs.Select(i => new InputSlot(i.Name, OptionTitles.Humanize(i.Name), i.Kinds, i.Required, 1, i.Description)).ToList(),
        [],
        CommandOptions.ToJsonSchema(definition.OptionsSchema),
        definition.Price.ToPriceList(),
        definition.TimeoutSeconds,
        definition.ResourceClass,
        [definition.Executable]);

    public Result<object> ParseOptions(JsonElement options)
    {
        var normalized = CommandOptions.Normalize(definition.OptionsSchema, options);
        return normalized.Error is { } e ? e : normalized.Value;
    }

    public Result<PipelineQuote> Plan(object options, InputSet<InputFacts> inputs)
    {
        var usage = new List<Usage>();
        if (definition.Price.PerPage is not null)
            usage.Add(new Usage("page", inputs.Sum(i => i.Pdf?.Pages ?? 0), "Pages"));
        if (definition.Price.PerMinute is not null)
            usage.Add(new Usage("minute", (decimal)Math.Ceiling(inputs.Sum(i => i.Media?.DurationSeconds ?? 0) / 60), "Minutes"));
        return new PipelineQuote(options, usage);
    }

    public JsonElement SerializeOptions(object options) => (JsonElement)options;

    public async Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct)
    {
        var inputs = context.Inputs.ToDictionary(i => i.Slot, i => i.Path, StringComparer.Ordinal);
        var events = new Events(context);
        var result = await runner.RunAsync(definition, new CommandInvocation(inputs, (JsonElement)context.Options, context.ScratchDirectory), events, ct);
        if (result.Error is { } error) throw new PipelineException(error.Code, error.Message, error.Transient);
        await context.Progress.DoneAsync(ct);
        return new PipelineOutcome();
    }

    private sealed class Events(PipelineContext context) : ICommandEvents
    {
        public Task ProgressAsync(CommandProgress progress, CancellationToken ct) =>
            context.Reporter.ProgressAsync(Math.Clamp(progress.Percent, 0, 99), progress.Step ?? "running", progress.Message, ct);

        public Task LogAsync(string line, CancellationToken ct) => context.Reporter.LogAsync(line, ct);

        public Task ArtifactAsync(CommandArtifact artifact, CancellationToken ct) =>
            context.Artifacts.AddAsync(artifact.Name, artifact.ContentType, artifact.FullPath, ct);
    }
}

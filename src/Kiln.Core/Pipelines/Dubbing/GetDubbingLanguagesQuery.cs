using Kiln.Core.Common;
using Kiln.Core.Media.Translation;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>One value a list option may take, as a form offers it.</summary>
public sealed record OptionChoice(string Value, string Label);

/// <param name="Source">The source language the choices are for (<c>auto</c>: any the engines translate from).</param>
public sealed record DubbingLanguageList(string Source, string SourceName, IReadOnlyList<OptionChoice> Choices);

/// <summary>The target languages this installation can dub a source language into: translated by the installed engine and spoken by the synthesizer.</summary>
public sealed class GetDubbingLanguagesQuery(PipelineCatalog catalog)
{
    public Result<DubbingLanguageList> Run(string? source)
    {
        if (catalog.Find(DubbingPipeline.PipelineId) is not DubbingPipeline dubbing) return Error.NotFound("Pipeline");
        source = string.IsNullOrWhiteSpace(source) ? "en" : source.Trim();
        if (source != DubbingOptions.Auto && !Languages.IsIso6391(source))
            return Error.Invalid("invalid_language", $"'{source}' is not an ISO 639-1 language code (two lowercase letters, like en) or auto.");
        // A detected source can be any the engine translates from: offer every target some source reaches.
        var codes = source == DubbingOptions.Auto
            ? Languages.KnownCodes.SelectMany(dubbing.OfferedTargets).Distinct(StringComparer.Ordinal)
            : dubbing.OfferedTargets(source);
        var choices = codes.Select(c => new OptionChoice(c, $"{Languages.Name(c)} ({c})")).OrderBy(c => c.Label, StringComparer.Ordinal).ToList();
        return new DubbingLanguageList(source, source == DubbingOptions.Auto ? "detected" : Languages.Name(source), choices);
    }
}

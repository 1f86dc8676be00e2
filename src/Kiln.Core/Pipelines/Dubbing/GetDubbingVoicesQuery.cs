using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Media.Translation;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>One voice as a workspace may choose it: premium voices are listed on every plan, usable only on plans with the feature.</summary>
/// <param name="Available">False for a premium voice the workspace's plan does not include.</param>
/// <param name="RequiredPlans">For an unavailable voice: the plans that include it.</param>
public sealed record DubbingVoiceChoice(string Id, string Label, string Engine, bool Premium, bool Available, IReadOnlyList<string>? RequiredPlans);

/// <param name="Default">The voice used when none is chosen.</param>
/// <param name="UpgradeUrl">Where to upgrade when some voices need another plan; null when every voice is available.</param>
public sealed record DubbingVoiceList(string Language, string LanguageName, string Default, IReadOnlyList<DubbingVoiceChoice> Voices, string? UpgradeUrl);

/// <summary>The voices a workspace can dub one target language with, from the engines installed here and its plan.</summary>
public sealed class GetDubbingVoicesQuery(PipelineCatalog catalog, GetPlanLimitsQuery plans)
{
    public const string UpgradeUrl = "/pricing";

    public async Task<Result<DubbingVoiceList>> Run(Guid workspaceId, string? language, CancellationToken ct)
    {
        if (catalog.Find(DubbingPipeline.PipelineId) is not DubbingPipeline dubbing) return Error.NotFound("Pipeline");
        if (string.IsNullOrEmpty(language) || !Languages.IsIso6391(language))
            return Error.Invalid("invalid_language", $"'{language}' is not an ISO 639-1 language code (two lowercase letters, like es).");
        var voices = dubbing.VoicesFor(language);
        if (voices.Count == 0)
            return Error.Unprocessable("language_not_spoken", $"'{language}' ({Languages.Name(language)}) cannot be spoken by the speech engines installed here.");
        var plan = await plans.Current(workspaceId, ct);
        var premium = plan.Limits.HasFeature(PremiumVoices.Feature);
        var withPremium = premium ? null : plans.PlansWith(PremiumVoices.Feature);
        return new DubbingVoiceList(language, Languages.Name(language), DubbingPipeline.DefaultVoice,
            voices.Select(v => new DubbingVoiceChoice(v.Id, v.Label, v.Engine, v.Premium, !v.Premium || premium, v.Premium && !premium ? withPremium : null)).ToList(),
            !premium && voices.Any(v => v.Premium) ? UpgradeUrl : null);
    }
}

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

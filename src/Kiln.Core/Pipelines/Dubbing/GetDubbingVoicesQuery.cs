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


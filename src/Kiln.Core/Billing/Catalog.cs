using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

public sealed record CreditPack(string Id, string Name, long Credits, long Price, string Currency);

/// <param name="RecordingMinutesPerMonth">0 means unlimited.</param>
/// <param name="MaxStorageBytes">0 means unlimited.</param>
public sealed record PlanLimits(int MaxConcurrentJobs, long MaxUploadBytes, int ArtifactRetentionDays, IReadOnlyList<string> AllowedPipelines, int MaxShows = 1,
    int RecordingMinutesPerMonth = 120, long MaxStorageBytes = 3L * 1024 * 1024 * 1024, IReadOnlyList<string>? Features = null, int MaxMediaMinutes = 0)
{
    public bool AllowsPipeline(string pipelineId) => AllowedPipelines.Count == 0 || AllowedPipelines.Contains(pipelineId, StringComparer.Ordinal);
    public bool HasFeature(string feature) => Features?.Contains(feature, StringComparer.OrdinalIgnoreCase) == true;
}

/// <summary>The feature flags a plan can list in <c>Features</c>.</summary>
public static class PlanFeatures
{
    /// <summary>Show notes and chapter titles written by the configured AI provider; without it the offline extractive engine writes them.</summary>
    public const string AiShowNotes = "ai-show-notes";
    /// <summary>Dubbing voices spoken by a paid engine (OpenAI-compatible speech, ElevenLabs).</summary>
    public const string PremiumVoices = "premium-voices";
}

public sealed record Plan(string Id, string Name, long MonthlyAllowance, long Price, string Currency, PlanLimits Limits)
{
    public bool IsPurchasable => Price > 0;
}

public sealed record BillingCatalogView(string Provider, string Currency, IReadOnlyList<CreditPack> Packs, IReadOnlyList<Plan> Plans);

/// <summary>What a checkout buys: a pack (one-off) or a plan (recurring).</summary>
public sealed record CheckoutItem(PaymentKind Kind, string Id, string Name, long Credits, long Price, string Currency);

/// <summary>The configured packs and plans. Prices and credits always come from here, never from a request.</summary>
public sealed class BillingCatalog(IOptions<BillingOptions> options)
{
    public const string FreePlanId = "free";

    private readonly BillingOptions _o = options.Value;

    public string Provider => _o.Provider;
    public string Currency => _o.Currency;

    // Built once on first use (the options are fixed for the process): every upload and job creation looks a plan up.
    private IReadOnlyList<CreditPack>? _packs;
    private IReadOnlyList<Plan>? _plans;

    public IReadOnlyList<CreditPack> Packs => _packs ??= _o.Packs
        .Select(p => new CreditPack(p.Id, p.Name ?? $"{p.Credits} credits", p.Credits, p.Price, p.Currency ?? _o.Currency)).ToList();

    public IReadOnlyList<Plan> Plans => _plans ??= _o.Plans
        .Select(p => new Plan(p.Id, p.Name ?? p.Id, p.MonthlyAllowance, p.Price, p.Currency ?? _o.Currency,
            new PlanLimits(p.MaxConcurrentJobs, p.MaxUploadBytes, p.ArtifactRetentionDays, p.AllowedPipelines.ToList(), p.MaxShows,
                p.RecordingMinutesPerMonth, p.MaxStorageBytes, p.Features.ToList(), p.MaxMediaMinutes))).ToList();

    public BillingCatalogView View() => new(_o.Provider, _o.Currency, Packs, Plans);

    public CreditPack? FindPack(string id) => Packs.FirstOrDefault(p => p.Id == id);

    public Plan? FindPlan(string id) => Plans.FirstOrDefault(p => p.Id == id);

    /// <summary>Unknown plan ids (renamed in configuration) fall back to Free rather than failing requests.</summary>
    public Plan PlanOrFree(string? id) =>
        (id is null ? null : FindPlan(id)) ?? FindPlan(FreePlanId)
        ?? new Plan(FreePlanId, "Free", 0, 0, _o.Currency, new PlanLimits(1, 50L * 1024 * 1024, 3, []));

    public Result<CheckoutItem> Resolve(string kind, string id)
    {
        if (string.Equals(kind, "pack", StringComparison.OrdinalIgnoreCase))
            return FindPack(id) is { } p
                ? new CheckoutItem(PaymentKind.Pack, p.Id, p.Name, p.Credits, p.Price, p.Currency)
                : Error.Invalid("unknown_pack", $"There is no credit pack '{id}'.");
        if (string.Equals(kind, "plan", StringComparison.OrdinalIgnoreCase))
            return FindPlan(id) is { IsPurchasable: true } p
                ? new CheckoutItem(PaymentKind.Subscription, p.Id, p.Name, p.MonthlyAllowance, p.Price, p.Currency)
                : Error.Invalid("unknown_plan", $"There is no plan '{id}' that can be subscribed to.");
        return Error.Invalid("unknown_item_kind", "Kind must be 'pack' or 'plan'.");
    }
}

/// <summary>The limits of a workspace's current plan, for upload and job creation checks.</summary>
public sealed class GetPlanLimitsQuery(KilnDbContext db, BillingCatalog catalog)
{
    public async Task<PlanLimits> Run(Guid workspaceId, CancellationToken ct = default) => (await Current(workspaceId, ct)).Limits;

    /// <summary>The workspace's plan itself, for messages that name it.</summary>
    public async Task<Plan> Current(Guid workspaceId, CancellationToken ct = default)
    {
        var plan = await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.Plan).FirstOrDefaultAsync(ct);
        return catalog.PlanOrFree(plan);
    }

    /// <summary>The names of the plans that include <paramref name="feature"/>.</summary>
    public IReadOnlyList<string> PlansWith(string feature) => catalog.Plans.Where(p => p.Limits.HasFeature(feature)).Select(p => p.Name).ToList();
}

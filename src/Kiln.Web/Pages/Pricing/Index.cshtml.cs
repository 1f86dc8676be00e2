using Kiln.Core.Billing;
using Kiln.Core.Pipelines;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Pricing;

/// <summary>
/// The public price list. Anyone may read it; only a signed-in member of a workspace gets buy buttons, and buying goes
/// through the same <see cref="CheckoutFlow"/> as the credits page.
/// </summary>
public sealed class IndexModel(BillingCatalog catalog, PipelineCatalog pipelines, GetSubscriptionQuery subscription, CreateCheckoutCommand checkout)
    : KilnPageModel
{
    public BillingCatalogView Catalog { get; } = catalog.View();
    public bool SignedIn => Me.UserId is not null && Me.WorkspaceId is not null;
    public bool PurchasesEnabled => Catalog.Provider != "none";
    public string? CurrentPlanId { get; private set; }
    /// <summary>A live subscription cannot be bought twice (the use case refuses); it is managed from the billing settings page.</summary>
    public bool HasSubscription { get; private set; }
    public string? CheckoutError { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!SignedIn) return;
        var sub = await subscription.Run(Workspace, ct);
        CurrentPlanId = sub.PlanId;
        HasSubscription = sub.Status is "active" or "trialing" or "past_due";
    }

    public async Task<IActionResult> OnPostCheckoutAsync(string kind, string itemId, CancellationToken ct)
    {
        // The buttons are only rendered for signed-in users; a stale form from a signed-out tab lands on sign-in.
        if (!SignedIn) return Redirect("/signin?ReturnUrl=%2Fpricing");
        var (redirect, error) = await CheckoutFlow.StartAsync(checkout, Me, kind, itemId, ct);
        if (redirect is not null) return redirect;
        CheckoutError = error;
        await OnGetAsync(ct);
        return Page();
    }

    public string PipelinesOf(Plan p) => p.Limits.AllowedPipelines.Count == 0
        ? "All pipelines"
        : string.Join(", ", p.Limits.AllowedPipelines.Select(id => pipelines.Find(id)?.Descriptor.Name ?? id));
}

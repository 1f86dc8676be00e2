using Kiln.Core.Billing;

namespace Kiln.Web.Api;

/// <summary>The public price list: credit packs and plans.</summary>
public static class BillingCatalogApi
{
    /// <summary>The public price list; map on an anonymous group.</summary>
    public static RouteGroupBuilder MapBillingCatalogApi(this RouteGroupBuilder anonymous)
    {
        anonymous.MapGet("/billing/catalog", (BillingCatalog catalog) => TypedResults.Ok(catalog.View())).WithTags("Billing")
            .WithSummary("Credit packs and plans with prices (minor units), allowances and limits, and the active payment provider.");
        return anonymous;
    }
}

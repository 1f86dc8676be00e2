using Kiln.Web.Infrastructure;
using Kiln.Core.Billing;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Ui;

/// <summary>A buy/subscribe button: the form posts <c>kind</c> and <c>itemId</c> to the rendering page's Checkout handler.</summary>
public sealed record CheckoutButton(string Kind, string ItemId, string ItemName, string Label, string AccessibleName, bool Primary);

/// <summary>
/// The one way a page starts a checkout (credits page, pricing page): the use case picks the provider and the price;
/// the page only turns the outcome into a redirect to the provider, or an error to show next to the buttons.
/// </summary>
public static class CheckoutFlow
{
    public static async Task<(IActionResult? Redirect, string? Error)> StartAsync(CreateCheckoutCommand checkout, CurrentUser user,
        string kind, string itemId, CancellationToken ct)
    {
        var result = await checkout.Run(user.Caller, kind, itemId, user.Email, ct);
        return result.Error is { } e ? (null, e.Message) : (new RedirectResult(result.Value!.RedirectUrl.ToString()), null);
    }

    public static CheckoutButton Buy(CreditPack p) => new("pack", p.Id, p.Name, "Buy", "Buy " + p.Name, Primary: true);

    public static CheckoutButton Subscribe(Plan p) => new("plan", p.Id, p.Name + " plan", "Subscribe", "Subscribe to " + p.Name, Primary: false);
}

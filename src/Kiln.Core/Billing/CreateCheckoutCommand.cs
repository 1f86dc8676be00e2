using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

public sealed record CheckoutStarted(Uri RedirectUrl, string Provider);

/// <summary>Starts a provider checkout for a pack or plan of the catalog; the price comes from configuration only.</summary>
public sealed class CreateCheckoutCommand(PaymentProviders providers, BillingCatalog catalog, KilnDbContext db, IOptions<BillingOptions> options,
    Accounts.Email.EmailVerification verification)
{
    public async Task<Result<CheckoutStarted>> Run(Accounts.Caller caller, string kind, string itemId, string? customerEmail, CancellationToken ct)
    {
        if (BillingAccess.Require(caller) is { } forbidden) return forbidden;
        // Where email is configured, an unverified account cannot pay (a throwaway address could not get receipts either).
        if (await verification.RequireVerifiedAsync(caller.UserId, ct) is { } unverified) return unverified;
        var workspaceId = caller.Workspace;
        var provider = providers.Active;
        if (!provider.IsSuccess) return provider.Error!;
        var item = catalog.Resolve(kind, itemId);
        if (!item.IsSuccess) return item.Error!;
        if (item.Value!.Kind == PaymentKind.Subscription
            && await db.Set<Subscription>().AnyAsync(s => s.WorkspaceId == workspaceId && (s.Status == "active" || s.Status == "trialing" || s.Status == "past_due"), ct))
            return Error.Conflict("already_subscribed", "This workspace already has a subscription; manage or cancel it on the billing settings page.");
        var baseUrl = options.Value.PublicBaseUrl;
        var request = new CheckoutRequest(workspaceId, customerEmail, item.Value,
            new Uri(baseUrl, "billing/success"), new Uri(baseUrl, "billing/cancel"));
        var url = await provider.Value!.CreateCheckoutAsync(request, ct);
        return url.IsSuccess ? new CheckoutStarted(url.Value!, provider.Value.Name) : url.Error!;
    }
}

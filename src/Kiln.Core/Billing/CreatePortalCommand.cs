using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

/// <summary>
/// A provider-hosted page where the payer manages the subscription and payment method (Stripe, Paddle). Providers
/// without one cancel through <see cref="CancelSubscriptionCommand"/>.
/// </summary>
public sealed class CreatePortalCommand(PaymentProviders providers, IOptions<BillingOptions> options)
{
    public async Task<Result<Uri>> Run(Accounts.Caller caller, CancellationToken ct)
    {
        if (BillingAccess.Require(caller) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var provider = providers.Active;
        if (!provider.IsSuccess) return provider.Error!;
        return await provider.Value!.CreatePortalAsync(workspaceId, new Uri(options.Value.PublicBaseUrl, "settings/billing"), ct);
    }
}

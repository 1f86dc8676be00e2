using Kiln.Core.Billing.Providers;
using Kiln.Core.Common;

namespace Kiln.Core.Billing;

/// <summary>
/// A provider without a hosted portal where the payer could cancel (Mollie, the sandbox): Kiln cancels through the
/// provider's API instead. Such providers announce neither the cancellation nor the end of the paid period, so Kiln
/// records both itself: the cancellation as facts from <see cref="CancelSubscriptionAsync"/>, the end with
/// <see cref="EndLapsedSubscriptionsCommand"/>.
/// </summary>
public interface ISubscriptionCanceler
{
    /// <summary>
    /// Stops renewals at the provider. The facts describe the result the way Stripe describes cancel-at-period-end
    /// (still active, <c>CancelAtPeriodEnd</c>, period end unchanged), so the plan and its allowance run to the end of
    /// the paid period. Canceling a subscription that is already canceled at the provider succeeds with the same facts.
    /// </summary>
    Task<Result<IReadOnlyList<BillingFact>>> CancelSubscriptionAsync(Subscription subscription, CancellationToken ct);
}

using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

public sealed record SubscriptionChanged(Guid WorkspaceId, string SubscriptionId, string PlanId, string Status, DateTime? PeriodStart, DateTime? PeriodEnd,
    bool CancelAtPeriodEnd, DateTime EventTime) : BillingFact;

using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

public sealed record InvoicePaid(Guid WorkspaceId, string InvoiceId, string SubscriptionId, string PlanId, DateTime PeriodStart, DateTime PeriodEnd,
    long Amount, string Currency, string? ReceiptUrl) : BillingFact;

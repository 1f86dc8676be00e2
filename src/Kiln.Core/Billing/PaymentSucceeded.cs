using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

public sealed record PaymentSucceeded(Guid WorkspaceId, string PaymentId, string PackId, long Amount, string Currency, string? ReceiptUrl) : BillingFact;

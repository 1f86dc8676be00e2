using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

public sealed record PaymentFailed(Guid WorkspaceId, string PaymentId, PaymentKind Kind, string ItemId, long Amount, string Currency) : BillingFact;

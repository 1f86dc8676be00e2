using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

/// <param name="RefundedAmount">This refund's amount in minor units.</param>
public sealed record PaymentRefunded(string PaymentId, string RefundId, long RefundedAmount) : BillingFact;

using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

public sealed record CustomerLinked(Guid WorkspaceId, string CustomerId) : BillingFact;

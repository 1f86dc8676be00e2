using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

/// <summary>
/// A normalized consequence of a provider event. Providers translate (and re-fetch) their own objects into facts;
/// <see cref="BillingFactApplier"/> turns facts into rows and ledger entries the same way for every provider.
/// </summary>
public abstract record BillingFact;

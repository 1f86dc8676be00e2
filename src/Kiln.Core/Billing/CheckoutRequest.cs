using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

/// <summary>The workspace and the item a checkout is for.</summary>
public sealed record CheckoutRequest(Guid WorkspaceId, string? CustomerEmail, CheckoutItem Item, Uri SuccessUrl, Uri CancelUrl);

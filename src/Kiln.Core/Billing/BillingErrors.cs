using Kiln.Core.Billing.Providers;
using Kiln.Core.Common;

namespace Kiln.Core.Billing;

public static class BillingErrors
{
    public static readonly Error NotConfigured = new("billing_not_configured", "Payments are not enabled on this installation.", ErrorKind.NotFound);
    public static Error UnknownProvider(string name) => new("unknown_provider", $"Payment provider '{name}' is not enabled.", ErrorKind.NotFound);
    public static readonly Error PortalUnavailable = new("portal_unavailable", "There is no billing portal for this workspace yet.", ErrorKind.Conflict);
    public static readonly Error NoSubscription = new("no_subscription", "This workspace has no active subscription to cancel.", ErrorKind.Conflict);
    public static readonly Error CancelForbidden = Error.Forbidden("forbidden", "Only workspace owners and admins cancel the subscription.");
    public static Error CancelInPortal(string provider) =>
        new("cancel_in_portal", $"This subscription is managed in {provider}'s billing portal: cancel it there (Manage subscription).", ErrorKind.Conflict);
    public static Error Provider(string provider, string message) => new("provider_error", $"{provider}: {message}", ErrorKind.UpstreamFailed);
    public static Error BadPayload(string message) => new("invalid_payload", message, ErrorKind.Invalid);
}

using Kiln.Core.Common;

namespace Kiln.Core.Webhooks;

public static class WebhookErrors
{
    /// <summary>The endpoints and their secrets are the workspace's integration: owners and admins only.</summary>
    public const string Manage = "manage webhooks";
    public static Error EndpointNotFound => Error.NotFound("Webhook endpoint");
    public static Error DeliveryNotFound => Error.NotFound("Webhook delivery");
    public static Error Disabled => Error.Conflict("webhook_disabled", "This endpoint is disabled; enable it again once it is fixed.");
}

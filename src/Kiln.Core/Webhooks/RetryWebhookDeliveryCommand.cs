using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Webhooks;

/// <summary>Sends a failed delivery once more, now (the same message id and body; a fresh timestamp and signature).</summary>
public sealed class RetryWebhookDeliveryCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<WebhookDelivery>> Run(Caller caller, Guid endpointId, Guid deliveryId, CancellationToken ct)
    {
        if (caller.RequireAdmin(WebhookErrors.Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var endpoint = await db.Set<WebhookEndpoint>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == endpointId && e.WorkspaceId == workspaceId, ct);
        if (endpoint is null) return WebhookErrors.EndpointNotFound;
        var delivery = await db.Set<WebhookDelivery>().AsNoTracking()
            .FirstOrDefaultAsync(d => d.Id == deliveryId && d.EndpointId == endpointId && d.WorkspaceId == workspaceId, ct);
        if (delivery is null) return WebhookErrors.DeliveryNotFound;
        if (!endpoint.Enabled) return WebhookErrors.Disabled;
        var now = clock.GetUtcNow().UtcDateTime;
        var updated = await db.Set<WebhookDelivery>()
            .Where(d => d.Id == deliveryId && (d.Status == WebhookDeliveryStatus.Failed || d.Status == WebhookDeliveryStatus.Pending))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, WebhookDeliveryStatus.Pending).SetProperty(d => d.NextAttemptAt, now), ct);
        if (updated == 0)
            return Error.Conflict("delivery_not_retryable", $"The delivery is {delivery.Status.WireName()} and cannot be retried.");
        return await db.Set<WebhookDelivery>().AsNoTracking().FirstAsync(d => d.Id == deliveryId, ct);
    }
}

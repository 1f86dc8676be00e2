using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Webhooks;

/// <summary>Queues a <c>webhook.test</c> message to one endpoint; the dispatcher sends it within about a second.</summary>
public sealed class SendTestWebhookCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<WebhookDelivery>> Run(Caller caller, Guid endpointId, CancellationToken ct)
    {
        if (caller.RequireAdmin(WebhookErrors.Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var endpoint = await db.Set<WebhookEndpoint>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == endpointId && e.WorkspaceId == workspaceId, ct);
        if (endpoint is null) return WebhookErrors.EndpointNotFound;
        if (!endpoint.Enabled) return WebhookErrors.Disabled;
        var now = clock.GetUtcNow().UtcDateTime;
        var id = Ids.New();
        var delivery = new WebhookDelivery
        {
            Id = id, EndpointId = endpoint.Id, WorkspaceId = workspaceId, EventType = WebhookEventTypes.Test, EventKey = $"test:{id:N}",
            MessageId = WebhookPayloads.NewMessageId(),
            Payload = WebhookPayloads.Serialize(WebhookEventTypes.Test, now, new { endpointId = endpoint.Id, message = "A test event from Kiln: your endpoint receives and verifies webhooks." }),
            Status = WebhookDeliveryStatus.Pending, NextAttemptAt = now, CreatedAt = now,
        };
        db.Add(delivery);
        await db.SaveChangesAsync(ct);
        return delivery;
    }
}

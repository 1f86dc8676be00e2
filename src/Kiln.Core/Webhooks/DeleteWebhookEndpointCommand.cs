using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Webhooks;

/// <summary>Deletes an endpoint and its delivery history; nothing more is sent to it.</summary>
public sealed class DeleteWebhookEndpointCommand(KilnDbContext db)
{
    public async Task<Result<WebhookEndpoint>> Run(Caller caller, Guid endpointId, CancellationToken ct)
    {
        if (caller.RequireAdmin(WebhookErrors.Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var endpoint = await db.Set<WebhookEndpoint>().FirstOrDefaultAsync(e => e.Id == endpointId && e.WorkspaceId == workspaceId, ct);
        if (endpoint is null) return WebhookErrors.EndpointNotFound;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Set<WebhookDelivery>().Where(d => d.EndpointId == endpointId).ExecuteDeleteAsync(ct);
        db.Remove(endpoint);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return endpoint;
    }
}

using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Webhooks;

public sealed record WebhookEndpointView(WebhookEndpoint Endpoint, WebhookDelivery? LastDelivery);

public sealed class ListWebhookEndpointsQuery(KilnDbContext db)
{
    public async Task<Result<List<WebhookEndpointView>>> Run(Caller caller, CancellationToken ct)
    {
        if (caller.RequireAdmin(WebhookErrors.Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var endpoints = await db.Set<WebhookEndpoint>().AsNoTracking().Where(e => e.WorkspaceId == workspaceId)
            .OrderByDescending(e => e.CreatedAt).ToListAsync(ct);
        var ids = endpoints.Select(e => e.Id).ToList();
        // Every endpoint's latest attempted delivery in one query, not one per endpoint.
        var last = (await db.Set<WebhookDelivery>().AsNoTracking().Where(d => ids.Contains(d.EndpointId) && d.LastAttemptAt != null)
                .GroupBy(d => d.EndpointId).Select(g => g.OrderByDescending(d => d.LastAttemptAt).First()).ToListAsync(ct))
            .ToDictionary(d => d.EndpointId);
        return endpoints.Select(e => new WebhookEndpointView(e, last.GetValueOrDefault(e.Id))).ToList();
    }
}

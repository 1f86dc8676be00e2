using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Webhooks;

public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDelivery> Items, int Page, int PageSize, int Total);

public sealed class ListWebhookDeliveriesQuery(KilnDbContext db)
{
    public async Task<Result<WebhookDeliveryPage>> Run(Caller caller, Guid endpointId, int page, int pageSize, CancellationToken ct)
    {
        if (caller.RequireAdmin(WebhookErrors.Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        if (!await db.Set<WebhookEndpoint>().AnyAsync(e => e.Id == endpointId && e.WorkspaceId == workspaceId, ct)) return WebhookErrors.EndpointNotFound;
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 100);
        var q = db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.EndpointId == endpointId && d.WorkspaceId == workspaceId);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).Skip(Paging.Skip(page, pageSize)).Take(pageSize).ToListAsync(ct);
        return new WebhookDeliveryPage(items, page, pageSize, total);
    }
}

using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Webhooks;

/// <summary>
/// Turns an endpoint that was disabled (failing too long, 410 Gone) back on once its owner has fixed it. The failure
/// clock starts afresh; deliveries that failed for good stay failed (retry them one by one). Events from while it was
/// disabled are not sent, except those of the last <see cref="WebhookOptions.RescanSeconds"/>, which the fan-out still
/// re-reads.
/// </summary>
public sealed class EnableWebhookEndpointCommand(KilnDbContext db)
{
    public async Task<Result<WebhookEndpoint>> Run(Caller caller, Guid endpointId, CancellationToken ct)
    {
        if (caller.RequireAdmin(WebhookErrors.Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var endpoint = await db.Set<WebhookEndpoint>().FirstOrDefaultAsync(e => e.Id == endpointId && e.WorkspaceId == workspaceId, ct);
        if (endpoint is null) return WebhookErrors.EndpointNotFound;
        if (endpoint.Enabled) return endpoint;
        endpoint.Enabled = true;
        endpoint.DisabledReason = null;
        endpoint.FailingSince = null;
        await db.SaveChangesAsync(ct);
        return endpoint;
    }
}

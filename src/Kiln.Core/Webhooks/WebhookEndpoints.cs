using System.Security.Cryptography;
using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Webhooks;

public sealed record CreatedWebhookEndpoint(WebhookEndpoint Endpoint, string Secret);
public sealed record WebhookEndpointView(WebhookEndpoint Endpoint, WebhookDelivery? LastDelivery);
public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDelivery> Items, int Page, int PageSize, int Total);

public static class WebhookErrors
{
    /// <summary>The endpoints and their secrets are the workspace's integration: owners and admins only.</summary>
    public const string Manage = "manage webhooks";
    public static Error EndpointNotFound => Error.NotFound("Webhook endpoint");
    public static Error DeliveryNotFound => Error.NotFound("Webhook delivery");
    public static Error Disabled => Error.Conflict("webhook_disabled", "This endpoint is disabled; enable it again once it is fixed.");
}

/// <summary>Registers an endpoint: validates the URL and the event types, and makes a Standard Webhooks secret.</summary>
public sealed class CreateWebhookEndpointCommand(KilnDbContext db, TimeProvider clock, IOptions<WebhookOptions> options)
{
    public async Task<Result<CreatedWebhookEndpoint>> Run(Caller caller, string url, string? description, IReadOnlyCollection<string>? eventTypes, CancellationToken ct)
    {
        if (caller.RequireAdmin(WebhookErrors.Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        if (ValidateUrl(url, options.Value.AllowHttp, options.Value.AllowPrivateUrls) is { } urlError) return urlError;
        description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        if (description is { Length: > 500 }) return Error.Invalid("invalid_description", "Keep the description under 500 characters.");
        var types = (eventTypes ?? []).Select(t => t?.Trim() ?? "").Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (types.Count == 0) return Error.Invalid("invalid_event_types", "Choose at least one event: " + string.Join(", ", WebhookEventTypes.Subscribable) + ".");
        if (types.FirstOrDefault(t => !WebhookEventTypes.Subscribable.Contains(t)) is { } unknown)
            return Error.Invalid("invalid_event_types", $"'{Truncate(unknown, 64)}' is not an event type; use {string.Join(", ", WebhookEventTypes.Subscribable)}.");
        var count = await db.Set<WebhookEndpoint>().CountAsync(e => e.WorkspaceId == workspaceId, ct);
        if (count >= options.Value.MaxEndpointsPerWorkspace)
            return Error.Conflict("too_many_webhooks", $"A workspace has at most {options.Value.MaxEndpointsPerWorkspace} webhook endpoints; delete one first.");

        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var endpoint = new WebhookEndpoint
        {
            Id = Ids.New(), WorkspaceId = workspaceId, Url = url.Trim(), Description = description, Secret = secret,
            EventTypes = string.Join(' ', WebhookEventTypes.Subscribable.Where(types.Contains)), Enabled = true, CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return new CreatedWebhookEndpoint(endpoint, secret);
    }

    /// <summary>
    /// An absolute https URL (http only when allowed) without credentials or fragment, at most 2000 characters, and —
    /// unless private addresses are allowed — not an internal address written out (names that resolve to one are
    /// refused at delivery time by the client's connect guard).
    /// </summary>
    public static Error? ValidateUrl(string? url, bool allowHttp, bool allowPrivate = false)
    {
        url = url?.Trim();
        var schemes = allowHttp ? "https:// (or http:// on this installation)" : "https://";
        if (string.IsNullOrEmpty(url) || url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            return Error.Invalid("invalid_webhook_url", $"Enter an absolute URL starting with {schemes}.");
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowHttp && uri.Scheme == Uri.UriSchemeHttp))
            return Error.Invalid("invalid_webhook_url", $"Webhook URLs must start with {schemes}.");
        if (!string.IsNullOrEmpty(uri.UserInfo)) return Error.Invalid("invalid_webhook_url", "Webhook URLs cannot contain a user name or password.");
        if (!string.IsNullOrEmpty(uri.Fragment)) return Error.Invalid("invalid_webhook_url", "Webhook URLs cannot contain a #fragment.");
        if (!allowPrivate && (uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && !UrlAddressPolicy.IsPublic(ip))))
            return Error.Invalid("invalid_webhook_url", $"'{uri.Host}' is an internal address; webhooks go to endpoints on the public internet.");
        return null;
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}

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
            return Error.Conflict("delivery_not_retryable", $"The delivery is {delivery.Status.ToString().ToLowerInvariant()} and cannot be retried.");
        return await db.Set<WebhookDelivery>().AsNoTracking().FirstAsync(d => d.Id == deliveryId, ct);
    }
}

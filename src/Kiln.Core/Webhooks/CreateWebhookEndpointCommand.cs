using System.Security.Cryptography;
using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Webhooks;

public sealed record CreatedWebhookEndpoint(WebhookEndpoint Endpoint, string Secret);

/// <summary>Registers an endpoint: validates the URL and the event types, and makes a Standard Webhooks secret.</summary>
public sealed class CreateWebhookEndpointCommand(KilnDbContext db, TimeProvider clock, IOptions<WebhookOptions> options, WebhookSecrets secrets)
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
            Id = Ids.New(), WorkspaceId = workspaceId, Url = url.Trim(), Description = description, Secret = secrets.Protect(secret),
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

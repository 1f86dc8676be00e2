using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing.Providers;

/// <summary>
/// A provider that is Kiln itself: checkout is Kiln's own page, and "paying" there delivers a Standard-Webhooks-signed
/// event through the same intake as real providers. Registered only when <c>Kiln:Billing:Sandbox:Secret</c> is set.
/// Its events carry full state and a timestamp, so there is nothing to re-fetch. Like Mollie it has no portal: a
/// sandbox plan is canceled on Kiln's billing settings page.
/// </summary>
public sealed class SandboxProvider(IOptions<BillingOptions> options, StandardWebhookVerifier verifier, TimeProvider clock)
    : IPaymentProvider, ISubscriptionCanceler
{
    public const string ProviderName = "sandbox";
    public string Name => ProviderName;

    private string Secret => options.Value.Sandbox.Secret ?? throw new InvalidOperationException("Kiln:Billing:Sandbox:Secret is not set.");

    public Task<Result<Uri>> CreateCheckoutAsync(CheckoutRequest r, CancellationToken ct)
    {
        var session = SandboxSession.Create(Secret, r.WorkspaceId, r.Item.Kind, r.Item.Id);
        var url = new Uri(options.Value.PublicBaseUrl, $"billing/sandbox/checkout?session={Uri.EscapeDataString(session)}");
        return Task.FromResult<Result<Uri>>(url);
    }

    public Task<Result<Uri>> CreatePortalAsync(Guid workspaceId, Uri returnUrl, CancellationToken ct) =>
        Task.FromResult<Result<Uri>>(new Uri(options.Value.PublicBaseUrl, "billing/sandbox/portal"));

    /// <summary>Nothing to call: the sandbox "provider" stops renewing, and the plan runs to the end of the period.</summary>
    public Task<Result<IReadOnlyList<BillingFact>>> CancelSubscriptionAsync(Subscription subscription, CancellationToken ct) =>
        Task.FromResult<Result<IReadOnlyList<BillingFact>>>(new List<BillingFact>
        {
            new SubscriptionChanged(subscription.WorkspaceId, subscription.ProviderSubscriptionId, subscription.PlanId, subscription.Status, null, null, true,
                clock.GetUtcNow().UtcDateTime),
        });

    public Result<ParsedWebhook> ParseWebhook(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        headers.TryGetValue("webhook-id", out var id);
        headers.TryGetValue("webhook-timestamp", out var ts);
        headers.TryGetValue("webhook-signature", out var sig);
        if (verifier.Verify(body, id, ts, sig, Secret) is { } err) return err;
        return ParsedWebhook.FromJson(body, null, "type", id);
    }

    public Task<Result<IReadOnlyList<BillingFact>>> ProcessAsync(PaymentEvent stored, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(stored.Payload);
        var root = doc.RootElement;
        var d = root.Obj("data");
        var at = root.Unix("created") ?? stored.ReceivedAt;
        if (d.WorkspaceId() is not { } ws) return Task.FromResult<Result<IReadOnlyList<BillingFact>>>(BillingErrors.BadPayload("No workspace_id."));
        List<BillingFact> facts = root.Str("type") switch
        {
            "payment.succeeded" => [new PaymentSucceeded(ws, d.Str("payment_id")!, d.Str("item_id")!, d.Long("amount") ?? 0, d.Str("currency") ?? "EUR", null)],
            "invoice.paid" =>
            [
                new InvoicePaid(ws, d.Str("invoice_id")!, d.Str("subscription_id")!, d.Str("plan_id")!, d.Unix("period_start")!.Value,
                    d.Unix("period_end")!.Value, d.Long("amount") ?? 0, d.Str("currency") ?? "EUR", null),
            ],
            "subscription.created" or "subscription.updated" or "subscription.deleted" =>
            [
                new SubscriptionChanged(ws, d.Str("subscription_id")!, d.Str("plan_id")!, d.Str("status") ?? "active", d.Unix("period_start"),
                    d.Unix("period_end"), d.Bool("cancel_at_period_end"), at),
            ],
            "refund.succeeded" => [new PaymentRefunded(d.Str("payment_id")!, d.Str("refund_id")!, d.Long("amount") ?? 0)],
            _ => [],
        };
        return Task.FromResult<Result<IReadOnlyList<BillingFact>>>(facts);
    }
}

/// <summary>A tamper-proof sandbox checkout session: base64url(json).base64url(hmac). No table needed.</summary>
public sealed record SandboxSession(Guid WorkspaceId, PaymentKind Kind, string ItemId, string Nonce)
{
    public static string Create(string secret, Guid workspaceId, PaymentKind kind, string itemId)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new SandboxSession(workspaceId, kind, itemId, Ids.Token(12)));
        return B64(json) + "." + B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), json));
    }

    public static Result<SandboxSession> Read(string secret, string token)
    {
        var invalid = Error.Invalid("invalid_session", "This checkout session is invalid.");
        var parts = token.Split('.');
        if (parts.Length != 2) return invalid;
        try
        {
            var json = Unb64(parts[0]);
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), json);
            if (!CryptographicOperations.FixedTimeEquals(expected, Unb64(parts[1]))) return invalid;
            return JsonSerializer.Deserialize<SandboxSession>(json) is { } s ? s : invalid;
        }
        catch (Exception ex) when (ex is FormatException or JsonException) { return invalid; }
    }

    /// <summary>Stable per session, so completing a session twice is the same payment.</summary>
    public string PaymentId => "sbx_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Nonce + WorkspaceId.ToString("N"))))[..24];

    private static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Unb64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}

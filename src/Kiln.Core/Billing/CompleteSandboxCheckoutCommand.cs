using System.Text;
using System.Text.Json;
using Kiln.Core.Billing.Providers;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

public sealed record SandboxCheckoutView(Guid WorkspaceId, CheckoutItem Item);

/// <summary>What the sandbox checkout page shows before "paying".</summary>
public sealed class DescribeSandboxCheckoutQuery(IOptions<BillingOptions> options, BillingCatalog catalog)
{
    public Result<SandboxCheckoutView> Run(string session)
    {
        if (string.IsNullOrEmpty(options.Value.Sandbox.Secret)) return BillingErrors.UnknownProvider(SandboxProvider.ProviderName);
        var s = SandboxSession.Read(options.Value.Sandbox.Secret, session);
        if (!s.IsSuccess) return s.Error!;
        var item = catalog.Resolve(s.Value!.Kind == PaymentKind.Pack ? "pack" : "plan", s.Value.ItemId);
        return item.IsSuccess ? new SandboxCheckoutView(s.Value.WorkspaceId, item.Value!) : item.Error!;
    }
}

/// <summary>
/// "Pays" a sandbox session: signs the events a real provider would send and hands them to the same
/// <see cref="ReceiveWebhookCommand"/>, then processes them at once so the demo shows the new balance immediately.
/// </summary>
public sealed class CompleteSandboxCheckoutCommand(IOptions<BillingOptions> options, BillingCatalog catalog, ReceiveWebhookCommand intake,
    ProcessPaymentEventsCommand processor, TimeProvider clock)
{
    public async Task<Result<SandboxCheckoutView>> Run(string session, CancellationToken ct)
    {
        var secret = options.Value.Sandbox.Secret;
        if (string.IsNullOrEmpty(secret)) return BillingErrors.UnknownProvider(SandboxProvider.ProviderName);
        var read = SandboxSession.Read(secret, session);
        if (!read.IsSuccess) return read.Error!;
        var s = read.Value!;
        var item = catalog.Resolve(s.Kind == PaymentKind.Pack ? "pack" : "plan", s.ItemId);
        if (!item.IsSuccess) return item.Error!;
        var it = item.Value!;
        var now = clock.GetUtcNow();
        var ws = s.WorkspaceId.ToString();

        var events = new List<(string Id, object Body)>();
        if (s.Kind == PaymentKind.Pack)
        {
            events.Add(($"{s.PaymentId}:paid", Event("payment.succeeded", now,
                new { workspace_id = ws, payment_id = s.PaymentId, item_id = it.Id, amount = it.Price, currency = it.Currency })));
        }
        else
        {
            var subId = "sub_" + s.PaymentId;
            var start = now.ToUnixTimeSeconds();
            var end = now.AddMonths(1).ToUnixTimeSeconds();
            events.Add(($"{subId}:created", Event("subscription.created", now, new
            {
                workspace_id = ws, subscription_id = subId, plan_id = it.Id, status = "active", period_start = start, period_end = end, cancel_at_period_end = false,
            })));
            events.Add(($"{s.PaymentId}:invoice", Event("invoice.paid", now, new
            {
                workspace_id = ws, invoice_id = "in_" + s.PaymentId, subscription_id = subId, plan_id = it.Id, period_start = start, period_end = end,
                amount = it.Price, currency = it.Currency,
            })));
        }

        foreach (var (id, body) in events)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
            var ts = now.ToUnixTimeSeconds();
            var headers = new Dictionary<string, string>
            {
                ["webhook-id"] = id,
                ["webhook-timestamp"] = ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["webhook-signature"] = StandardWebhookVerifier.Sign(secret, id, ts, bytes),
            };
            var receipt = await intake.Run(SandboxProvider.ProviderName, bytes, headers, ct);
            if (!receipt.IsSuccess) return receipt.Error!;
            await processor.ProcessOneAsync(receipt.Value!.EventId, ct);
        }
        return new SandboxCheckoutView(s.WorkspaceId, it);
    }

    /// <summary>The sandbox wire format (also handy for tests that build events by hand).</summary>
    public static object Event(string type, DateTimeOffset at, object data) => new { type, created = at.ToUnixTimeSeconds(), data };
}

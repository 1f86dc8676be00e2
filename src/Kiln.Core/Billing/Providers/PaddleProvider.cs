using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing.Providers;

/// <summary>
/// Paddle Billing: a transaction per checkout (Paddle's checkout opens on its <c>checkout.url</c>), custom_data to find
/// the workspace again, subscriptions re-fetched on every subscription event, refunds as approved adjustments.
/// </summary>
public sealed class PaddleProvider(PaddleClient paddle, PaddleSignatureVerifier verifier, BillingCustomers customers, IOptions<BillingOptions> options,
    TimeProvider clock) : IPaymentProvider
{
    public string Name => "paddle";

    public async Task<Result<Uri>> CreateCheckoutAsync(CheckoutRequest r, CancellationToken ct)
    {
        var txn = await paddle.CreateTransactionAsync(TransactionBody(r, options.Value.Plans.FirstOrDefault(p => p.Id == r.Item.Id)?.PaddlePriceId), ct);
        if (!txn.IsSuccess) return txn.Error!;
        return txn.Value.Obj("checkout").Str("url") is { } url
            ? new Uri(url) : BillingErrors.Provider("Paddle", "The transaction has no checkout url (is a default payment link set?).");
    }

    public static object TransactionBody(CheckoutRequest r, string? priceId)
    {
        var item = r.Item;
        var isPlan = item.Kind == PaymentKind.Subscription;
        object line = priceId is not null && isPlan
            ? new { price_id = priceId, quantity = 1 }
            : new
            {
                quantity = 1,
                price = new Dictionary<string, object?>
                {
                    ["description"] = item.Name,
                    ["name"] = item.Name,
                    ["unit_price"] = new { amount = item.Price.ToString(CultureInfo.InvariantCulture), currency_code = item.Currency.ToUpperInvariant() },
                    ["product"] = new { name = item.Name, tax_category = "standard" },
                    ["billing_cycle"] = isPlan ? new { interval = "month", frequency = 1 } : null,
                },
            };
        return new
        {
            items = new[] { line },
            collection_mode = "automatic",
            custom_data = new { workspace_id = r.WorkspaceId.ToString(), kind = isPlan ? "plan" : "pack", item_id = item.Id, plan_id = isPlan ? item.Id : null },
        };
    }

    public async Task<Result<Uri>> CreatePortalAsync(Guid workspaceId, Uri returnUrl, CancellationToken ct)
    {
        if (await customers.Find(workspaceId, Name, ct) is not { } customer) return BillingErrors.PortalUnavailable;
        var session = await paddle.CreatePortalSessionAsync(customer, ct);
        if (!session.IsSuccess) return session.Error!;
        return session.Value.Obj("urls").Obj("general").Str("overview") is { } url ? new Uri(url) : BillingErrors.Provider("Paddle", "No portal url.");
    }

    public Result<ParsedWebhook> ParseWebhook(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        var secret = options.Value.Paddle.WebhookSecret;
        if (string.IsNullOrEmpty(secret)) return BillingErrors.UnknownProvider(Name);
        headers.TryGetValue("Paddle-Signature", out var header);
        if (verifier.Verify(body, header, secret) is { } err) return err;
        return ParsedWebhook.FromJson(body, "event_id", "event_type");
    }

    public async Task<Result<IReadOnlyList<BillingFact>>> ProcessAsync(PaymentEvent stored, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(stored.Payload);
        var data = doc.RootElement.Obj("data");
        var facts = new List<BillingFact>();
        if (stored.Type is "transaction.completed" or "transaction.paid")
        {
            var custom = data.Obj("custom_data");
            var totals = data.Obj("details").Obj("totals");
            var currency = data.Str("currency_code") ?? "EUR";
            var amount = totals.Long("grand_total") ?? totals.Long("total") ?? 0;
            if (data.Str("subscription_id") is { } subId)
            {
                var sub = await paddle.GetSubscriptionAsync(subId, ct);
                if (!sub.IsSuccess) return sub.Error!;
                if (State(sub.Value) is not { } state) return BillingErrors.BadPayload("The subscription has no workspace_id or plan.");
                var period = data.Obj("billing_period");
                if (data.Str("customer_id") is { } c) facts.Add(new CustomerLinked(state.WorkspaceId, c));
                facts.Add(new InvoicePaid(state.WorkspaceId, data.Str("id")!, subId, state.PlanId, period.Iso("starts_at") ?? state.PeriodStart ?? stored.ReceivedAt,
                    period.Iso("ends_at") ?? state.PeriodEnd ?? stored.ReceivedAt.AddMonths(1), amount, currency, null));
                facts.Add(state);
            }
            else if (custom.WorkspaceId() is { } ws && custom.Str("kind") == "pack")
            {
                if (data.Str("customer_id") is { } c) facts.Add(new CustomerLinked(ws, c));
                facts.Add(new PaymentSucceeded(ws, data.Str("id")!, custom.Str("item_id") ?? "", amount, currency, null));
            }
        }
        else if (stored.Type.StartsWith("subscription.", StringComparison.Ordinal))
        {
            var sub = await paddle.GetSubscriptionAsync(data.Str("id")!, ct);
            if (!sub.IsSuccess) return sub.Error!;
            if (State(sub.Value) is not { } state) return BillingErrors.BadPayload("The subscription has no workspace_id or plan.");
            facts.Add(state);
        }
        else if (stored.Type is "adjustment.created" or "adjustment.updated" && data.Str("action") == "refund" && data.Str("status") == "approved")
        {
            facts.Add(new PaymentRefunded(data.Str("transaction_id")!, data.Str("id")!, data.Obj("totals").Long("total") ?? 0));
        }
        return facts;
    }

    private SubscriptionChanged? State(JsonElement s)
    {
        var custom = s.Obj("custom_data");
        if (custom.WorkspaceId() is not { } ws) return null;
        var priceId = s.Obj("items").Items().FirstOrDefault().Obj("price").Str("id");
        var plan = options.Value.Plans.FirstOrDefault(p => p.PaddlePriceId is not null && p.PaddlePriceId == priceId)?.Id
            ?? custom.Str("plan_id") ?? custom.Str("item_id");
        if (plan is null) return null;
        var period = s.Obj("current_billing_period");
        return new SubscriptionChanged(ws, s.Str("id")!, plan, s.Str("status") ?? "active", period.Iso("starts_at"), period.Iso("ends_at"),
            s.Obj("scheduled_change").Str("action") == "cancel", clock.GetUtcNow().UtcDateTime);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing.Providers;

/// <summary>
/// Stripe Checkout for packs (mode=payment) and plans (mode=subscription), the Billing Portal, and webhooks. Subscription
/// state is always re-fetched, because Stripe does not deliver events in order.
/// </summary>
public sealed class StripeProvider(StripeClient stripe, StripeSignatureVerifier verifier, BillingCustomers customers,
    IOptions<BillingOptions> options, TimeProvider clock) : IPaymentProvider
{
    public string Name => "stripe";

    public async Task<Result<Uri>> CreateCheckoutAsync(CheckoutRequest r, CancellationToken ct)
    {
        var customer = await EnsureCustomer(r.WorkspaceId, r.CustomerEmail, ct);
        if (!customer.IsSuccess) return customer.Error!;
        var priceId = r.Item.Kind == PaymentKind.Subscription ? options.Value.Plans.FirstOrDefault(p => p.Id == r.Item.Id)?.StripePriceId : null;
        var form = CheckoutForm(r, customer.Value!, priceId);
        var session = await stripe.CreateCheckoutSessionAsync(form, $"kiln-checkout-{Ids.New():N}", ct);
        if (!session.IsSuccess) return session.Error!;
        return session.Value.Str("url") is { } url ? new Uri(url) : BillingErrors.Provider("Stripe", "The Checkout Session has no url.");
    }

    /// <summary>The form for POST /v1/checkout/sessions; public so tests can pin its shape.</summary>
    public static List<KeyValuePair<string, string>> CheckoutForm(CheckoutRequest r, string customerId, string? priceId)
    {
        var item = r.Item;
        var ws = r.WorkspaceId.ToString();
        var kind = item.Kind == PaymentKind.Pack ? "pack" : "plan";
        var f = new List<KeyValuePair<string, string>>
        {
            new("mode", item.Kind == PaymentKind.Pack ? "payment" : "subscription"),
            new("customer", customerId),
            new("client_reference_id", ws),
            new("success_url", r.SuccessUrl + (r.SuccessUrl.Query.Length > 0 ? "&" : "?") + "session_id={CHECKOUT_SESSION_ID}"),
            new("cancel_url", r.CancelUrl.ToString()),
            new("metadata[workspace_id]", ws),
            new("metadata[kind]", kind),
            new("metadata[item_id]", item.Id),
            new("line_items[0][quantity]", "1"),
        };
        if (priceId is not null) f.Add(new("line_items[0][price]", priceId));
        else
        {
            f.Add(new("line_items[0][price_data][currency]", item.Currency.ToLowerInvariant()));
            f.Add(new("line_items[0][price_data][unit_amount]", item.Price.ToString(CultureInfo.InvariantCulture)));
            f.Add(new("line_items[0][price_data][product_data][name]", item.Name));
            if (item.Kind == PaymentKind.Subscription) f.Add(new("line_items[0][price_data][recurring][interval]", "month"));
        }
        // Metadata is copied to the object the later webhooks are about, so they identify the workspace on their own.
        var target = item.Kind == PaymentKind.Pack ? "payment_intent_data" : "subscription_data";
        f.Add(new($"{target}[metadata][workspace_id]", ws));
        f.Add(new($"{target}[metadata][{(item.Kind == PaymentKind.Pack ? "item_id" : "plan_id")}]", item.Id));
        return f;
    }

    public async Task<Result<Uri>> CreatePortalAsync(Guid workspaceId, Uri returnUrl, CancellationToken ct)
    {
        if (await customers.Find(workspaceId, Name, ct) is not { } customer) return BillingErrors.PortalUnavailable;
        var session = await stripe.CreatePortalSessionAsync(customer, returnUrl, $"kiln-portal-{Ids.New():N}", ct);
        if (!session.IsSuccess) return session.Error!;
        return session.Value.Str("url") is { } url ? new Uri(url) : BillingErrors.Provider("Stripe", "The portal session has no url.");
    }

    public Result<ParsedWebhook> ParseWebhook(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        var secret = options.Value.Stripe.WebhookSecret;
        if (string.IsNullOrEmpty(secret)) return BillingErrors.UnknownProvider(Name);
        headers.TryGetValue("Stripe-Signature", out var header);
        if (verifier.Verify(body, header, secret) is { } err) return err;
        return ParsedWebhook.FromJson(body, "id", "type");
    }

    public async Task<Result<IReadOnlyList<BillingFact>>> ProcessAsync(PaymentEvent stored, CancellationToken ct)
    {
        using var doc = JsonDocument.Parse(stored.Payload);
        var obj = doc.RootElement.Obj("data").Obj("object");
        var facts = new List<BillingFact>();
        switch (stored.Type)
        {
            case "checkout.session.completed" or "checkout.session.async_payment_succeeded":
            {
                if (obj.Obj("metadata").WorkspaceId() is not { } ws) return BillingErrors.BadPayload("The session has no workspace_id metadata.");
                if (obj.Str("customer") is { } customer) facts.Add(new CustomerLinked(ws, customer));
                if (obj.Str("mode") == "payment" && obj.Str("payment_status") == "paid")
                    facts.Add(new PaymentSucceeded(ws, obj.Str("payment_intent") ?? obj.Str("id")!, obj.Obj("metadata").Str("item_id") ?? "",
                        obj.Long("amount_total") ?? 0, (obj.Str("currency") ?? "eur").ToUpperInvariant(), null));
                else if (obj.Str("mode") == "subscription" && obj.Str("subscription") is { } subId)
                    return await WithSubscription(facts, subId, ct);
                break;
            }
            case "invoice.paid":
            {
                if (SubscriptionOf(obj) is not { } subId) break;
                var sub = await stripe.GetSubscriptionAsync(subId, ct);
                if (!sub.IsSuccess) return sub.Error!;
                if (Subscription(sub.Value) is not { } state) return BillingErrors.BadPayload("The subscription has no workspace_id or plan.");
                var period = obj.Obj("lines").Obj("data").Items().FirstOrDefault().Obj("period");
                facts.Add(new InvoicePaid(state.WorkspaceId, obj.Str("id")!, subId, state.PlanId,
                    period.Unix("start") ?? state.PeriodStart ?? stored.ReceivedAt, period.Unix("end") ?? state.PeriodEnd ?? stored.ReceivedAt.AddMonths(1),
                    obj.Long("amount_paid") ?? 0, (obj.Str("currency") ?? "eur").ToUpperInvariant(), obj.Str("hosted_invoice_url")));
                facts.Add(state);
                break;
            }
            case "invoice.payment_failed":
                if (SubscriptionOf(obj) is { } failedSub) return await WithSubscription(facts, failedSub, ct);
                break;
            case "customer.subscription.created" or "customer.subscription.updated" or "customer.subscription.deleted"
                or "customer.subscription.paused" or "customer.subscription.resumed":
                return await WithSubscription(facts, obj.Str("id")!, ct);
            case "charge.refunded" or "charge.refund.updated":
            {
                var chargeId = stored.Type == "charge.refunded" ? obj.Str("id")! : obj.Str("charge")!;
                var charge = await stripe.GetChargeAsync(chargeId, ct);
                if (!charge.IsSuccess) return charge.Error!;
                var paymentId = charge.Value.Str("invoice") ?? charge.Value.Str("payment_intent") ?? chargeId;
                foreach (var refund in charge.Value.Obj("refunds").Obj("data").Items().Where(x => x.Str("status") == "succeeded"))
                    facts.Add(new PaymentRefunded(paymentId, refund.Str("id")!, refund.Long("amount") ?? 0));
                break;
            }
        }
        return facts;
    }

    private async Task<Result<IReadOnlyList<BillingFact>>> WithSubscription(List<BillingFact> facts, string subscriptionId, CancellationToken ct)
    {
        var sub = await stripe.GetSubscriptionAsync(subscriptionId, ct);
        if (!sub.IsSuccess) return sub.Error!;
        if (Subscription(sub.Value) is not { } state) return BillingErrors.BadPayload("The subscription has no workspace_id or plan.");
        facts.Add(state);
        return facts;
    }

    // API versions before 2025-03 put the subscription on the invoice; later ones under parent.subscription_details.
    private static string? SubscriptionOf(JsonElement invoice) =>
        invoice.Str("subscription") ?? invoice.Obj("parent").Obj("subscription_details").Str("subscription");

    /// <summary>Re-fetched state is current as of now, so it is stamped with the fetch time.</summary>
    private SubscriptionChanged? Subscription(JsonElement s)
    {
        if (s.Obj("metadata").WorkspaceId() is not { } ws) return null;
        var item = s.Obj("items").Obj("data").Items().FirstOrDefault();
        var priceId = item.Obj("price").Str("id");
        var plan = options.Value.Plans.FirstOrDefault(p => p.StripePriceId is not null && p.StripePriceId == priceId)?.Id ?? s.Obj("metadata").Str("plan_id");
        if (plan is null) return null;
        return new SubscriptionChanged(ws, s.Str("id")!, plan, s.Str("status") ?? "incomplete",
            s.Unix("current_period_start") ?? item.Unix("current_period_start"), s.Unix("current_period_end") ?? item.Unix("current_period_end"),
            s.Bool("cancel_at_period_end"), clock.GetUtcNow().UtcDateTime);
    }

    private async Task<Result<string>> EnsureCustomer(Guid workspaceId, string? email, CancellationToken ct)
    {
        if (await customers.Find(workspaceId, Name, ct) is { } existing) return existing;
        var created = await stripe.CreateCustomerAsync(workspaceId, email, ct);
        if (!created.IsSuccess) return created.Error!;
        return await customers.Save(workspaceId, Name, created.Value.Str("id")!, ct);
    }
}

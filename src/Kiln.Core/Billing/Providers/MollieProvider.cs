using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing.Providers;

/// <summary>
/// Mollie: a payment with redirect for packs; for plans a first payment (sequenceType=first) that creates the mandate,
/// after which Kiln creates the subscription. Webhooks carry only an id and no signature: the payment is fetched
/// with Kiln's API key, so a forged id can at most make Kiln look at a real payment. Mollie has no hosted portal:
/// payers cancel in Kiln (<see cref="CancelSubscriptionAsync"/>).
/// </summary>
public sealed partial class MollieProvider(MollieClient mollie, BillingCustomers customers, IOptions<BillingOptions> options, TimeProvider clock)
    : IPaymentProvider, ISubscriptionCanceler
{
    public string Name => "mollie";

    [GeneratedRegex("^tr_[A-Za-z0-9]{1,64}$")]
    private static partial Regex PaymentId();

    private Uri WebhookUrl => new(options.Value.PublicBaseUrl, "webhooks/mollie");

    public async Task<Result<Uri>> CreateCheckoutAsync(CheckoutRequest r, CancellationToken ct)
    {
        var item = r.Item;
        var isPlan = item.Kind == PaymentKind.Subscription;
        string? customerId = null;
        if (isPlan)
        {
            var customer = await EnsureCustomer(r.WorkspaceId, r.CustomerEmail, ct);
            if (!customer.IsSuccess) return customer.Error!;
            customerId = customer.Value;
        }
        var body = new Dictionary<string, object?>
        {
            ["amount"] = Amount(item.Price, item.Currency),
            ["description"] = isPlan ? $"{item.Name} plan – first month" : item.Name,
            ["redirectUrl"] = r.SuccessUrl.ToString(),
            ["cancelUrl"] = r.CancelUrl.ToString(),
            ["webhookUrl"] = WebhookUrl.ToString(),
            ["metadata"] = new { workspace_id = r.WorkspaceId.ToString(), kind = isPlan ? "plan" : "pack", item_id = item.Id },
        };
        if (isPlan)
        {
            body["customerId"] = customerId;
            body["sequenceType"] = "first";
        }
        var payment = await mollie.CreatePaymentAsync(body, $"kiln-checkout-{Ids.New():N}", ct);
        if (!payment.IsSuccess) return payment.Error!;
        return payment.Value.Obj("_links").Obj("checkout").Str("href") is { } href
            ? new Uri(href) : BillingErrors.Provider("Mollie", "The payment has no checkout link.");
    }

    // Mollie has no hosted subscription portal; see CancelSubscriptionAsync.
    public Task<Result<Uri>> CreatePortalAsync(Guid workspaceId, Uri returnUrl, CancellationToken ct) =>
        Task.FromResult<Result<Uri>>(BillingErrors.PortalUnavailable);

    public async Task<Result<IReadOnlyList<BillingFact>>> CancelSubscriptionAsync(Subscription subscription, CancellationToken ct)
    {
        if (await customers.Find(subscription.WorkspaceId, Name, ct) is not { } customerId)
            return BillingErrors.Provider("Mollie", "No Mollie customer is recorded for this workspace.");
        var subId = subscription.ProviderSubscriptionId;
        var canceled = await mollie.CancelSubscriptionAsync(customerId, subId, ct);
        if (!canceled.IsSuccess)
        {
            // Already canceled (in the Mollie dashboard, or by an earlier attempt whose answer was lost): Mollie refuses
            // a second DELETE, so the subscription's current state decides.
            var current = await mollie.GetSubscriptionAsync(customerId, subId, ct);
            if (!current.IsSuccess || current.Value.Str("status") is not ("canceled" or "completed")) return canceled.Error!;
            canceled = current;
        }
        var plan = canceled.Value.Obj("metadata").Str("plan_id") ?? subscription.PlanId;
        return new List<BillingFact> { State(subscription.WorkspaceId, subId, plan, canceled.Value, paidAt: null) };
    }

    public Result<ParsedWebhook> ParseWebhook(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, string> headers)
    {
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        var id = form.TryGetValue("id", out var v) ? v.ToString() : null;
        if (id is null || !PaymentId().IsMatch(id)) return BillingErrors.BadPayload("Expected id=tr_… in the body.");
        return new ParsedWebhook(id, "payment", id, RearmOnDuplicate: true);
    }

    public async Task<Result<IReadOnlyList<BillingFact>>> ProcessAsync(PaymentEvent stored, CancellationToken ct)
    {
        var fetched = await mollie.GetPaymentAsync(stored.EventId, ct);
        if (!fetched.IsSuccess) return fetched.Error!;
        var p = fetched.Value;
        var id = p.Str("id")!;
        var currency = p.Obj("amount").Str("currency") ?? "EUR";
        var amount = Money.FromDecimalString(p.Obj("amount").Str("value") ?? "0", currency);
        var meta = p.Obj("metadata");
        var facts = new List<BillingFact>();
        var status = p.Str("status");
        var paidAt = p.Iso("paidAt") ?? clock.GetUtcNow().UtcDateTime;

        if (p.Str("subscriptionId") is { } subId && p.Str("customerId") is { } cst)
        {
            var sub = await mollie.GetSubscriptionAsync(cst, subId, ct);
            if (!sub.IsSuccess) return sub.Error!;
            var sm = sub.Value.Obj("metadata");
            if (sm.WorkspaceId() is not { } sws || sm.Str("plan_id") is not { } plan) return BillingErrors.BadPayload("The subscription has no workspace_id or plan_id.");
            if (status == "paid")
                facts.Add(new InvoicePaid(sws, id, subId, plan, paidAt, PaidThrough(sub.Value, paidAt) ?? paidAt.AddMonths(1), amount, currency, null));
            facts.Add(State(sws, subId, plan, sub.Value, paidAt));
        }
        else if (meta.WorkspaceId() is { } ws)
        {
            var kind = meta.Str("kind");
            var itemId = meta.Str("item_id") ?? "";
            if (status == "paid" && kind == "pack")
                facts.Add(new PaymentSucceeded(ws, id, itemId, amount, currency, null));
            else if (status == "paid" && kind == "plan" && p.Str("customerId") is { } customerId)
            {
                var sub = await EnsureSubscription(customerId, id, ws, itemId, amount, currency, paidAt, ct);
                if (!sub.IsSuccess) return sub.Error!;
                var subscriptionId = sub.Value.Str("id")!;
                facts.Add(new CustomerLinked(ws, customerId));
                facts.Add(new InvoicePaid(ws, id, subscriptionId, itemId, paidAt, PaidThrough(sub.Value, paidAt) ?? paidAt.AddMonths(1), amount, currency, null));
                facts.Add(State(ws, subscriptionId, itemId, sub.Value, paidAt));
            }
            else if (status is "failed" or "canceled" or "expired")
                facts.Add(new PaymentFailed(ws, id, kind == "plan" ? PaymentKind.Subscription : PaymentKind.Pack, itemId, amount, currency));
        }
        foreach (var refund in p.Obj("_embedded").Obj("refunds").Items().Where(x => x.Str("status") is not ("failed" or "canceled")))
            facts.Add(new PaymentRefunded(id, refund.Str("id")!, Money.FromDecimalString(refund.Obj("amount").Str("value") ?? "0", currency)));
        return facts;
    }

    /// <summary>
    /// The subscription as Kiln records it. Mollie charges at the start of a period, so its "canceled" (or "completed")
    /// only means no further payments: what was paid for runs to the end of its period, which is how Stripe reports
    /// cancel-at-period-end (active, <c>CancelAtPeriodEnd</c>). Mollie announces no end, so Kiln ends it then
    /// (<see cref="EndLapsedSubscriptionsCommand"/>). Without <paramref name="paidAt"/> (no payment in hand) the period
    /// is left as recorded.
    /// </summary>
    private SubscriptionChanged State(Guid ws, string subId, string plan, JsonElement sub, DateTime? paidAt)
    {
        var next = sub.Str("nextPaymentDate") is { } d ? DateTime.SpecifyKind(DateTime.Parse(d, CultureInfo.InvariantCulture), DateTimeKind.Utc) : (DateTime?)null;
        var (status, ending) = sub.Str("status") switch
        {
            "active" or "pending" => ("active", false),
            "canceled" or "completed" => ("active", true),
            var s => (s ?? "active", false),
        };
        var end = paidAt is { } p ? PaidThrough(sub, p) ?? next ?? p.AddMonths(1) : (DateTime?)null;
        return new SubscriptionChanged(ws, subId, plan, status, paidAt, end, ending, clock.GetUtcNow().UtcDateTime);
    }

    /// <summary>
    /// The end of the period a payment paid for: the subscription's first billing date (startDate + n × interval) after
    /// it. Unlike nextPaymentDate, which a canceled subscription no longer has, this is the same before and after a
    /// cancellation, so webhooks handled on either side of it agree.
    /// </summary>
    internal static DateTime? PaidThrough(JsonElement sub, DateTime paidAt)
    {
        if (!DateTime.TryParseExact(sub.Str("startDate"), "yyyy-MM-dd", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start)) return null;
        var parts = (sub.Str("interval") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1) return null;
        Func<int, DateTime>? step = parts[1] switch
        {
            "month" or "months" => k => start.AddMonths(k * n),
            "week" or "weeks" => k => start.AddDays(7.0 * k * n),
            "day" or "days" => k => start.AddDays((double)k * n),
            _ => null,
        };
        if (step is null) return null;
        for (var k = 0; k < 10_000; k++)
        {
            var boundary = step(k);
            if (boundary > paidAt) return boundary;
        }
        return null;
    }

    /// <summary>
    /// Mollie keeps idempotency keys for a short time only, so an existing subscription made from this first payment
    /// is looked up (by metadata) before a new one is created.
    /// </summary>
    private async Task<Result<JsonElement>> EnsureSubscription(string customerId, string firstPaymentId, Guid ws, string planId, long amount,
        string currency, DateTime paidAt, CancellationToken ct)
    {
        var list = await mollie.ListSubscriptionsAsync(customerId, ct);
        if (!list.IsSuccess) return list.Error!;
        var existing = list.Value.Obj("_embedded").Obj("subscriptions").Items()
            .FirstOrDefault(s => s.Obj("metadata").Str("first_payment_id") == firstPaymentId);
        if (existing.ValueKind == JsonValueKind.Object) return existing;
        return await mollie.CreateSubscriptionAsync(customerId, new
        {
            amount = Amount(amount, currency),
            interval = "1 month",
            description = $"Kiln {planId} plan ({ws:N})",
            startDate = paidAt.AddMonths(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            webhookUrl = WebhookUrl.ToString(),
            metadata = new { workspace_id = ws.ToString(), plan_id = planId, first_payment_id = firstPaymentId },
        }, $"kiln-subscription-{firstPaymentId}", ct);
    }

    private async Task<Result<string>> EnsureCustomer(Guid workspaceId, string? email, CancellationToken ct)
    {
        if (await customers.Find(workspaceId, Name, ct) is { } existing) return existing;
        var created = await mollie.CreateCustomerAsync(new { name = $"Workspace {workspaceId:N}", email, metadata = new { workspace_id = workspaceId.ToString() } },
            $"kiln-customer-{workspaceId:N}", ct);
        if (!created.IsSuccess) return created.Error!;
        return await customers.Save(workspaceId, Name, created.Value.Str("id")!, ct);
    }

    private static object Amount(long minor, string currency) => new { currency = currency.ToUpperInvariant(), value = Money.ToDecimalString(minor, currency) };
}

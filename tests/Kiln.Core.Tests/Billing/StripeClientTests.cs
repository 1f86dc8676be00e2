using System.Text;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Billing.Providers;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Tests.Billing;

public sealed class StripeClientTests
{
    private const string Key = "sk_test_51Kiln";
    private const string WebhookSecret = "whsec_kiln_test";

    private static async Task<(BillingTestKit Kit, FakeProviderServer Server, StripeProvider Provider, BillingTestKit.Services S)> Setup()
    {
        var server = await FakeProviderServer.StartAsync();
        var kit = new BillingTestKit(o =>
        {
            o.Provider = "stripe";
            o.PublicBaseUrl = new Uri("https://kiln.example/");
            o.Stripe = new StripeOptions { SecretKey = Key, WebhookSecret = WebhookSecret, ApiBase = server.BaseAddress };
        });
        var db = kit.NewContext();
        var client = new StripeClient(new HttpClient { BaseAddress = server.BaseAddress }, kit.Options);
        var provider = new StripeProvider(client, new StripeSignatureVerifier(kit.Clock), new BillingCustomers(db, kit.Clock), kit.Options, kit.Clock);
        return (kit, server, provider, kit.For(db, provider));
    }

    private const string CustomerJson = """
        {"id":"cus_NffrFeUfNV2Hib","object":"customer","address":null,"balance":0,"created":1680893993,"currency":null,"email":"owner@example.com",
         "invoice_prefix":"0759376C","livemode":false,"metadata":{"workspace_id":"x"},"name":null}
        """;

    private const string SessionJson = """
        {"id":"cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u","object":"checkout.session","amount_subtotal":500,"amount_total":500,
         "currency":"eur","customer":"cus_NffrFeUfNV2Hib","mode":"payment","payment_intent":null,"payment_status":"unpaid","status":"open",
         "url":"https://checkout.stripe.com/c/pay/cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u#fidkdWxOYHwnPyd1blpxYHZxWjA0"}
        """;

    [Fact]
    public async Task Pack_checkout_creates_a_customer_then_a_form_encoded_session_and_retries_with_the_same_idempotency_key()
    {
        var (kit, server, provider, _) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        server.Respond = (req, n) => req.PathAndQuery switch
        {
            "/v1/customers" => (200, CustomerJson),
            "/v1/checkout/sessions" when server.Requests.Count(r => r.PathAndQuery == "/v1/checkout/sessions") == 1 =>
                (500, """{"error":{"message":"An unknown error occurred","type":"api_error"}}"""),
            "/v1/checkout/sessions" => (200, SessionJson),
            _ => (404, "{}"),
        };
        var item = kit.Catalog.Resolve("pack", "pack-10").Value!;
        var url = await provider.CreateCheckoutAsync(new CheckoutRequest(kit.WorkspaceId, "owner@example.com", item,
            new Uri("https://kiln.example/billing/success"), new Uri("https://kiln.example/billing/cancel")), TestContext.Current.CancellationToken);

        url.IsSuccess.ShouldBeTrue(url.Error?.Message);
        url.Value!.Host.ShouldBe("checkout.stripe.com");
        var requests = server.Requests.ToList();
        requests.Select(r => r.PathAndQuery).ShouldBe(["/v1/customers", "/v1/checkout/sessions", "/v1/checkout/sessions"]);
        requests.ShouldAllBe(r => r.Method == "POST" && r.Header("Authorization") == $"Bearer {Key}" && r.ContentType!.StartsWith("application/x-www-form-urlencoded"));
        requests[0].Header("Idempotency-Key").ShouldBe($"kiln-customer-{kit.WorkspaceId:N}");
        requests[0].Form()["metadata[workspace_id]"].ShouldBe(kit.WorkspaceId.ToString());
        requests[1].Header("Idempotency-Key").ShouldNotBeNullOrEmpty();
        requests[2].Header("Idempotency-Key").ShouldBe(requests[1].Header("Idempotency-Key"));
        requests[2].Body.ShouldBe(requests[1].Body);
        requests[1].Body.ShouldContain("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=500");

        var form = requests[2].Form();
        form["mode"].ShouldBe("payment");
        form["customer"].ShouldBe("cus_NffrFeUfNV2Hib");
        form["client_reference_id"].ShouldBe(kit.WorkspaceId.ToString());
        form["line_items[0][quantity]"].ShouldBe("1");
        form["line_items[0][price_data][currency]"].ShouldBe("eur");
        form["line_items[0][price_data][unit_amount]"].ShouldBe("500");
        form["line_items[0][price_data][product_data][name]"].ShouldBe("10 credits");
        form["metadata[item_id]"].ShouldBe("pack-10");
        form["payment_intent_data[metadata][workspace_id]"].ShouldBe(kit.WorkspaceId.ToString());
        form["success_url"].ShouldBe("https://kiln.example/billing/success?session_id={CHECKOUT_SESSION_ID}");
        form.ShouldNotContainKey("line_items[0][price_data][recurring][interval]");

        // The customer is remembered: a second checkout does not create another.
        await provider.CreateCheckoutAsync(new CheckoutRequest(kit.WorkspaceId, null, item, new Uri("https://kiln.example/s"), new Uri("https://kiln.example/c")),
            TestContext.Current.CancellationToken);
        server.Requests.Count(r => r.PathAndQuery == "/v1/customers").ShouldBe(1);
    }

    [Fact]
    public void Plan_checkout_form_is_a_monthly_subscription_carrying_workspace_and_plan()
    {
        var ws = Guid.CreateVersion7();
        var item = new CheckoutItem(PaymentKind.Subscription, "creator", "Creator", 100, 1500, "EUR");
        var form = StripeProvider.CheckoutForm(new CheckoutRequest(ws, null, item, new Uri("https://k/s"), new Uri("https://k/c")), "cus_1", null)
            .ToDictionary(k => k.Key, k => k.Value);
        form["mode"].ShouldBe("subscription");
        form["line_items[0][price_data][recurring][interval]"].ShouldBe("month");
        form["subscription_data[metadata][workspace_id]"].ShouldBe(ws.ToString());
        form["subscription_data[metadata][plan_id]"].ShouldBe("creator");
        var byPrice = StripeProvider.CheckoutForm(new CheckoutRequest(ws, null, item, new Uri("https://k/s"), new Uri("https://k/c")), "cus_1", "price_1MoBy5")
            .ToDictionary(k => k.Key, k => k.Value);
        byPrice["line_items[0][price]"].ShouldBe("price_1MoBy5");
        byPrice.ShouldNotContainKey("line_items[0][price_data][currency]");
    }

    private static (byte[], Dictionary<string, string>) Signed(BillingTestKit kit, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var t = kit.Clock.GetUtcNow().ToUnixTimeSeconds();
        var sig = Convert.ToHexStringLower(WebhookSignatures.Hmac(WebhookSecret, $"{t}.", body));
        return (body, new Dictionary<string, string> { ["Stripe-Signature"] = $"t={t},v1={sig}" });
    }

    [Fact]
    public async Task Invoice_paid_refetches_the_subscription_and_grants_the_allowance_once()
    {
        var (kit, server, _, s) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        var ws = kit.WorkspaceId;
        server.Respond = (req, _) => req.PathAndQuery switch
        {
            "/v1/subscriptions/sub_1MowQVLkdIwHu7ix" => (200, $$$$$"""
                {"id":"sub_1MowQVLkdIwHu7ix","object":"subscription","cancel_at_period_end":false,"customer":"cus_Na6dX7aXxi11N4","status":"active",
                 "current_period_start":1767225600,"current_period_end":1769904000,"metadata":{"workspace_id":"{{{{{ws}}}}}","plan_id":"creator"},
                 "items":{"object":"list","data":[{"id":"si_Na6dzxczY5fwHx","object":"subscription_item","price":{"id":"price_1MowQULkdIwHu7ixraBm864M","object":"price"}}]}}
                """),
            _ => (404, """{"error":{"message":"No such object"}}"""),
        };
        var (body, headers) = Signed(kit, """
            {"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2024-06-20","created":1767225700,"type":"invoice.paid",
             "data":{"object":{"id":"in_1MtHbELkdIwHu7ixl4OzzPMv","object":"invoice","amount_paid":1500,"currency":"eur","customer":"cus_Na6dX7aXxi11N4",
               "hosted_invoice_url":"https://invoice.stripe.com/i/acct_1M2JTkLkdIwHu7ix/test_YWNjdF8x","status":"paid","subscription":"sub_1MowQVLkdIwHu7ix",
               "lines":{"object":"list","data":[{"id":"il_1","period":{"start":1767225600,"end":1769904000}}]}}}}
            """);
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 3; i++) (await s.Intake.Run("stripe", body, headers, ct)).IsSuccess.ShouldBeTrue();
        (await s.Processor.Run(10, ct)).ShouldBe(1);

        var req = server.Requests.Single();
        req.Method.ShouldBe("GET");
        req.Header("Authorization").ShouldBe($"Bearer {Key}");
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(100);
        var payment = await s.Db.Set<Payment>().SingleAsync(ct);
        payment.ReceiptUrl!.ShouldStartWith("https://invoice.stripe.com/");
        (await s.Db.Workspaces.SingleAsync(w => w.Id == ws, ct)).Plan.ShouldBe("creator");
        (await s.Db.Set<AllowanceGrant>().SingleAsync(ct)).PeriodEnd.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1769904000).UtcDateTime);
        (await s.Db.LedgerEntries.SingleAsync(e => e.Kind == LedgerEntryKind.SubscriptionAllowance, ct)).IdempotencyKey
            .ShouldBe("allowance:stripe:in_1MtHbELkdIwHu7ixl4OzzPMv");
    }

    [Fact]
    public async Task Checkout_completed_then_charge_refunded_credits_and_claws_back_through_the_intake()
    {
        var (kit, server, _, s) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        var ws = kit.WorkspaceId;
        server.Respond = (req, _) => req.PathAndQuery switch
        {
            "/v1/charges/ch_3MmlLrLkdIwHu7ix0snN0B15?expand[]=refunds" or "/v1/charges/ch_3MmlLrLkdIwHu7ix0snN0B15?expand%5B%5D=refunds" => (200, """
                {"id":"ch_3MmlLrLkdIwHu7ix0snN0B15","object":"charge","amount":2000,"amount_refunded":2000,"currency":"eur","paid":true,"refunded":true,
                 "payment_intent":"pi_3MmlLrLkdIwHu7ix0uke3Ezy","receipt_url":"https://pay.stripe.com/receipts/x","status":"succeeded",
                 "refunds":{"object":"list","data":[{"id":"re_1Nispe2eZvKYlo2Cd31jOCgZ","object":"refund","amount":2000,"charge":"ch_3MmlLrLkdIwHu7ix0snN0B15",
                   "currency":"eur","payment_intent":"pi_3MmlLrLkdIwHu7ix0uke3Ezy","status":"succeeded"}],"has_more":false}}
                """),
            _ => (404, """{"error":{"message":"No such object"}}"""),
        };
        var ct = TestContext.Current.CancellationToken;
        var (b1, h1) = Signed(kit, $$$$$"""
            {"id":"evt_1","object":"event","created":1767225700,"type":"checkout.session.completed",
             "data":{"object":{"id":"cs_test_1","object":"checkout.session","mode":"payment","payment_status":"paid","status":"complete","amount_total":2000,
               "currency":"eur","customer":"cus_NffrFeUfNV2Hib","payment_intent":"pi_3MmlLrLkdIwHu7ix0uke3Ezy","client_reference_id":"{{{{{ws}}}}}",
               "metadata":{"workspace_id":"{{{{{ws}}}}}","kind":"pack","item_id":"pack-50"}}}}
            """);
        await s.Intake.Run("stripe", b1, h1, ct);
        (await s.Processor.Run(10, ct)).ShouldBe(1);
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(50);
        (await new BillingCustomers(s.Db, kit.Clock).Find(ws, "stripe", ct)).ShouldBe("cus_NffrFeUfNV2Hib");

        var (b2, h2) = Signed(kit, """
            {"id":"evt_2","object":"event","created":1767225800,"type":"charge.refunded",
             "data":{"object":{"id":"ch_3MmlLrLkdIwHu7ix0snN0B15","object":"charge","payment_intent":"pi_3MmlLrLkdIwHu7ix0uke3Ezy","amount_refunded":2000}}}
            """);
        await s.Intake.Run("stripe", b2, h2, ct);
        (await s.Processor.Run(10, ct)).ShouldBe(1);
        (await s.Db.Set<PaymentEvent>().AsNoTracking().SingleAsync(e => e.EventId == "evt_2", ct)).Status.ShouldBe(PaymentEventStatus.Processed);
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(0);
        (await s.Db.LedgerEntries.SingleAsync(e => e.Kind == LedgerEntryKind.Refund, ct)).IdempotencyKey.ShouldBe("refund:stripe:re_1Nispe2eZvKYlo2Cd31jOCgZ");
    }

    [Fact]
    public async Task Portal_session_is_created_for_the_known_customer()
    {
        var (kit, server, provider, s) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        var ct = TestContext.Current.CancellationToken;
        (await provider.CreatePortalAsync(kit.WorkspaceId, new Uri("https://kiln.example/settings/billing"), ct)).Error!.Code.ShouldBe("portal_unavailable");
        await new BillingCustomers(s.Db, kit.Clock).Save(kit.WorkspaceId, "stripe", "cus_NffrFeUfNV2Hib", ct);
        server.Respond = (_, _) => (200, """
            {"id":"bps_1MrSjzLkdIwHu7ixex0IvU9b","object":"billing_portal.session","customer":"cus_NffrFeUfNV2Hib","livemode":false,
             "return_url":"https://kiln.example/settings/billing","url":"https://billing.stripe.com/p/session/test_YWNjdF8xTTJKVGtMa2RJd0h1N2l4"}
            """);
        var url = await provider.CreatePortalAsync(kit.WorkspaceId, new Uri("https://kiln.example/settings/billing"), ct);
        url.Value!.Host.ShouldBe("billing.stripe.com");
        var req = server.Requests.Single();
        req.PathAndQuery.ShouldBe("/v1/billing_portal/sessions");
        req.Form()["customer"].ShouldBe("cus_NffrFeUfNV2Hib");
        req.Form()["return_url"].ShouldBe("https://kiln.example/settings/billing");
        req.Header("Idempotency-Key").ShouldNotBeNullOrEmpty();
    }
}

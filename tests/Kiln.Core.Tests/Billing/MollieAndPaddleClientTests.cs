using System.Text;
using System.Text.Json;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Billing.Providers;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Billing;

public sealed class MollieAndPaddleClientTests
{
    private const string MollieKey = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";
    private const string PaddleKey = "pdl_sdbx_apikey_01gtgztp8f";
    private const string PaddleSecret = "pdl_ntfset_01gkpjp8bkh3tm_secret";

    private static async Task<(BillingTestKit, FakeProviderServer, MollieProvider, PaddleProvider, BillingTestKit.Services)> Setup()
    {
        var server = await FakeProviderServer.StartAsync();
        var kit = new BillingTestKit(o =>
        {
            o.PublicBaseUrl = new Uri("https://kiln.example/");
            o.Mollie = new MollieOptions { ApiKey = MollieKey, ApiBase = server.BaseAddress };
            o.Paddle = new PaddleOptions { ApiKey = PaddleKey, WebhookSecret = PaddleSecret, ApiBase = server.BaseAddress };
        });
        var db = kit.NewContext();
        var customers = new BillingCustomers(db, kit.Clock);
        var mollie = new MollieProvider(new MollieClient(new HttpClient { BaseAddress = server.BaseAddress }, kit.Options), customers, kit.Options, kit.Clock);
        var paddle = new PaddleProvider(new PaddleClient(new HttpClient { BaseAddress = server.BaseAddress }, kit.Options), new PaddleSignatureVerifier(kit.Clock),
            customers, kit.Options, kit.Clock);
        return (kit, server, mollie, paddle, kit.For(db, mollie, paddle));
    }

    private static string MolliePayment(Guid ws, string status, string refunds = "") => $$$$$"""
        {"resource":"payment","id":"tr_WDqYK6vllg","mode":"test","createdAt":"2026-11-22T12:00:00+00:00",
         "amount":{"value":"20.00","currency":"EUR"},"description":"50 credits","method":"ideal","metadata":{"workspace_id":"{{{{{ws}}}}}","kind":"pack","item_id":"pack-50"},
         "status":"{{{{{status}}}}}","paidAt":"2026-11-22T12:01:00+00:00","amountRefunded":{"value":"0.00","currency":"EUR"},
         "redirectUrl":"https://kiln.example/billing/success","webhookUrl":"https://kiln.example/webhooks/mollie","sequenceType":"oneoff",
         "_embedded":{"refunds":[{{{{{refunds}}}}}]},
         "_links":{"self":{"href":"https://api.mollie.com/v2/payments/tr_WDqYK6vllg","type":"application/hal+json"},
           "checkout":{"href":"https://www.mollie.com/checkout/select-method/7UhSN1zuXS","type":"text/html"}}}
        """;

    [Fact]
    public async Task Mollie_pack_checkout_posts_json_with_amount_urls_and_metadata()
    {
        var (kit, server, mollie, _, _) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        server.Respond = (_, _) => (201, MolliePayment(kit.WorkspaceId, "open"));
        var item = kit.Catalog.Resolve("pack", "pack-50").Value!;
        var url = await mollie.CreateCheckoutAsync(new CheckoutRequest(kit.WorkspaceId, null, item, new Uri("https://kiln.example/billing/success"),
            new Uri("https://kiln.example/billing/cancel")), TestContext.Current.CancellationToken);

        url.Value!.ToString().ShouldBe("https://www.mollie.com/checkout/select-method/7UhSN1zuXS");
        var req = server.Requests.Single();
        (req.Method, req.PathAndQuery).ShouldBe(("POST", "/v2/payments"));
        req.Header("Authorization").ShouldBe($"Bearer {MollieKey}");
        req.ContentType!.ShouldStartWith("application/json");
        req.Header("Idempotency-Key").ShouldNotBeNullOrEmpty();
        using var body = JsonDocument.Parse(req.Body);
        var root = body.RootElement;
        root.GetProperty("amount").GetProperty("value").GetString().ShouldBe("20.00");
        root.GetProperty("amount").GetProperty("currency").GetString().ShouldBe("EUR");
        root.GetProperty("redirectUrl").GetString().ShouldBe("https://kiln.example/billing/success");
        root.GetProperty("webhookUrl").GetString().ShouldBe("https://kiln.example/webhooks/mollie");
        root.GetProperty("metadata").GetProperty("workspace_id").GetString().ShouldBe(kit.WorkspaceId.ToString());
        root.TryGetProperty("sequenceType", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Mollie_plan_checkout_creates_a_customer_and_a_first_payment()
    {
        var (kit, server, mollie, _, _) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        server.Respond = (req, _) => req.PathAndQuery == "/v2/customers"
            ? (201, """{"resource":"customer","id":"cst_8wmqcHMN4U","mode":"test","name":"Workspace","email":null,"locale":null,"metadata":null,"createdAt":"2026-11-22T12:00:00+00:00"}""")
            : (201, MolliePayment(kit.WorkspaceId, "open"));
        var item = kit.Catalog.Resolve("plan", "creator").Value!;
        (await mollie.CreateCheckoutAsync(new CheckoutRequest(kit.WorkspaceId, "a@b.c", item, new Uri("https://kiln.example/s"), new Uri("https://kiln.example/c")),
            TestContext.Current.CancellationToken)).IsSuccess.ShouldBeTrue();
        var payment = server.Requests.Last();
        using var body = JsonDocument.Parse(payment.Body);
        body.RootElement.GetProperty("sequenceType").GetString().ShouldBe("first");
        body.RootElement.GetProperty("customerId").GetString().ShouldBe("cst_8wmqcHMN4U");
        body.RootElement.GetProperty("amount").GetProperty("value").GetString().ShouldBe("15.00");
    }

    [Fact]
    public async Task Mollie_webhook_posts_only_an_id_the_payment_is_fetched_and_redeliveries_never_credit_twice()
    {
        var (kit, server, _, _, s) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        var ct = TestContext.Current.CancellationToken;
        var refunded = false;
        server.Respond = (_, _) => (200, MolliePayment(kit.WorkspaceId, "paid",
            refunded ? """{"resource":"refund","id":"re_4qqhO89gsT","amount":{"value":"20.00","currency":"EUR"},"status":"refunded","paymentId":"tr_WDqYK6vllg"}""" : ""));
        var body = Encoding.UTF8.GetBytes("id=tr_WDqYK6vllg");

        (await s.Intake.Run("mollie", Encoding.UTF8.GetBytes("id=../../etc"), new Dictionary<string, string>(), ct)).Error!.Code.ShouldBe("invalid_payload");
        for (var i = 0; i < 3; i++)
        {
            (await s.Intake.Run("mollie", body, new Dictionary<string, string>(), ct)).IsSuccess.ShouldBeTrue();
            await s.Processor.Run(10, ct);
        }
        var get = server.Requests.First();
        (get.Method, get.PathAndQuery).ShouldBe(("GET", "/v2/payments/tr_WDqYK6vllg?embed=refunds"));
        get.Header("Authorization").ShouldBe($"Bearer {MollieKey}");
        (await new GetBalanceQuery(s.Db).Run(kit.WorkspaceId, ct)).Posted.ShouldBe(50);

        refunded = true; // Mollie calls the same webhook when a refund happens
        await s.Intake.Run("mollie", body, new Dictionary<string, string>(), ct);
        await s.Processor.Run(10, ct);
        (await new GetBalanceQuery(s.Db).Run(kit.WorkspaceId, ct)).Posted.ShouldBe(0);
        (await s.Db.LedgerEntries.CountAsync(e => e.Kind == LedgerEntryKind.Purchase, ct)).ShouldBe(1);
        (await s.Db.Set<PaymentEvent>().CountAsync(ct)).ShouldBe(1);
    }

    [Fact]
    public async Task Paddle_checkout_creates_a_transaction_with_a_non_catalog_price_and_custom_data()
    {
        var (kit, server, _, paddle, _) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        server.Respond = (_, _) => (201, """
            {"data":{"id":"txn_01hv8wptq8987qeep44cyrewp9","status":"ready","customer_id":null,"currency_code":"EUR","origin":"api","subscription_id":null,
              "collection_mode":"automatic","custom_data":{"kind":"pack"},"items":[{"quantity":1}],
              "checkout":{"url":"https://kiln.example/pay?_ptxn=txn_01hv8wptq8987qeep44cyrewp9"},"created_at":"2026-11-22T12:00:00.000Z"},
             "meta":{"request_id":"2f5a8c5e-0b3e-4e4e-9d8c-6a9d7d1d3c2b"}}
            """);
        var item = kit.Catalog.Resolve("plan", "pro").Value!;
        var url = await paddle.CreateCheckoutAsync(new CheckoutRequest(kit.WorkspaceId, null, item, new Uri("https://kiln.example/s"), new Uri("https://kiln.example/c")),
            TestContext.Current.CancellationToken);
        url.Value!.Query.ShouldContain("_ptxn=txn_01hv8wptq8987qeep44cyrewp9");
        var req = server.Requests.Single();
        (req.Method, req.PathAndQuery).ShouldBe(("POST", "/transactions"));
        req.Header("Authorization").ShouldBe($"Bearer {PaddleKey}");
        req.ContentType!.ShouldStartWith("application/json");
        using var body = JsonDocument.Parse(req.Body);
        var price = body.RootElement.GetProperty("items")[0].GetProperty("price");
        price.GetProperty("unit_price").GetProperty("amount").GetString().ShouldBe("4900");
        price.GetProperty("unit_price").GetProperty("currency_code").GetString().ShouldBe("EUR");
        price.GetProperty("billing_cycle").GetProperty("interval").GetString().ShouldBe("month");
        body.RootElement.GetProperty("custom_data").GetProperty("workspace_id").GetString().ShouldBe(kit.WorkspaceId.ToString());
        body.RootElement.GetProperty("custom_data").GetProperty("plan_id").GetString().ShouldBe("pro");
    }

    private static (byte[], Dictionary<string, string>) PaddleSigned(BillingTestKit kit, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var ts = kit.Clock.GetUtcNow().ToUnixTimeSeconds();
        var h1 = Convert.ToHexStringLower(WebhookSignatures.Hmac(PaddleSecret, $"{ts}:", body));
        return (body, new Dictionary<string, string> { ["paddle-signature"] = $"ts={ts};h1={h1}" });
    }

    [Fact]
    public async Task Paddle_signed_transaction_completed_credits_a_pack_once_and_a_subscription_event_refetches()
    {
        var (kit, server, _, _, s) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        var ct = TestContext.Current.CancellationToken;
        var ws = kit.WorkspaceId;
        server.Respond = (req, _) => req.PathAndQuery == "/subscriptions/sub_01h04vsc0qhwtsbsxh3422wjs4" ? (200, $$$$$"""
            {"data":{"id":"sub_01h04vsc0qhwtsbsxh3422wjs4","status":"active","customer_id":"ctm_01h04vsbhqc62t8hmd4z3b578c","currency_code":"EUR",
              "custom_data":{"workspace_id":"{{{{{ws}}}}}","kind":"plan","item_id":"pro","plan_id":"pro"},
              "current_billing_period":{"starts_at":"2026-11-22T12:00:00Z","ends_at":"2026-12-22T12:00:00Z"},
              "scheduled_change":{"action":"cancel","effective_at":"2026-12-22T12:00:00Z","resume_at":null},
              "items":[{"status":"active","quantity":1,"price":{"id":"pri_01gsz8x8sawmvhz1pv30nge1ke"}}]},
             "meta":{"request_id":"b1d6e7f0-1111-4222-8333-944455556666"}}
            """) : (404, """{"error":{"type":"request_error","code":"not_found","detail":"Entity not found"}}""");

        var (b1, h1) = PaddleSigned(kit, $$$$$"""
            {"event_id":"evt_01h04vsxnfvh4b5h8gf6t3t2ma","event_type":"transaction.completed","occurred_at":"2026-11-22T12:01:00.000Z",
             "notification_id":"ntf_01h04vsxr3dhzvdd3g9f1q4m5x",
             "data":{"id":"txn_01h04vsbhqc62t8hmd4z3b578c","status":"completed","customer_id":"ctm_01h04vsbhqc62t8hmd4z3b578c","currency_code":"EUR",
               "origin":"web","subscription_id":null,"custom_data":{"workspace_id":"{{{{{ws}}}}}","kind":"pack","item_id":"pack-100"},
               "details":{"totals":{"subtotal":"3500","tax":"0","total":"3500","grand_total":"3500","currency_code":"EUR"}}}}
            """);
        for (var i = 0; i < 5; i++) (await s.Intake.Run("paddle", b1, h1, ct)).IsSuccess.ShouldBeTrue();
        await s.Processor.Run(10, ct);
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(100);
        (await s.Db.Set<Payment>().SingleAsync(ct)).Amount.ShouldBe(3500);

        var (b2, h2) = PaddleSigned(kit, """
            {"event_id":"evt_01h04vsz","event_type":"subscription.updated","occurred_at":"2026-11-22T12:02:00.000Z",
             "data":{"id":"sub_01h04vsc0qhwtsbsxh3422wjs4","status":"past_due"}}
            """);
        await s.Intake.Run("paddle", b2, h2, ct);
        await s.Processor.Run(10, ct);
        var sub = await s.Db.Set<Subscription>().SingleAsync(ct);
        (sub.Status, sub.PlanId, sub.CancelAtPeriodEnd).ShouldBe(("active", "pro", true)); // the re-fetched state, not the payload's
        server.Requests.Single().Header("Authorization").ShouldBe($"Bearer {PaddleKey}");
        (await s.Db.Workspaces.SingleAsync(w => w.Id == ws, ct)).Plan.ShouldBe("pro");

        var (bad, badHeaders) = PaddleSigned(kit, "{}");
        badHeaders["paddle-signature"] = badHeaders["paddle-signature"].Replace("h1=", "h1=00", StringComparison.Ordinal);
        (await s.Intake.Run("paddle", bad, badHeaders, ct)).Error!.Code.ShouldBe("invalid_signature");
    }

    [Fact]
    public async Task Mollie_paid_first_payment_creates_the_subscription_once_and_renewals_grant_the_allowance()
    {
        var (kit, server, _, _, s) = await Setup();
        await using var _k = kit;
        await using var _s = server;
        var ct = TestContext.Current.CancellationToken;
        var ws = kit.WorkspaceId;
        var created = false;
        var subscriptionJson = $$$$$"""
            {"resource":"subscription","id":"sub_rVKGtNd6s3","mode":"test","status":"active","amount":{"value":"15.00","currency":"EUR"},"times":null,
             "interval":"1 month","startDate":"2026-12-22","nextPaymentDate":"2026-12-22","description":"Kiln creator plan","customerId":"cst_stTC2WHAuS",
             "metadata":{"workspace_id":"{{{{{ws}}}}}","plan_id":"creator","first_payment_id":"tr_first1"}}
            """;
        server.Respond = (req, _) => (req.Method, req.PathAndQuery) switch
        {
            ("GET", "/v2/payments/tr_first1?embed=refunds") => (200, $$$$$"""
                {"resource":"payment","id":"tr_first1","status":"paid","sequenceType":"first","customerId":"cst_stTC2WHAuS","mandateId":"mdt_h3gAaD5zP",
                 "amount":{"value":"15.00","currency":"EUR"},"paidAt":"2026-11-22T12:01:00+00:00",
                 "metadata":{"workspace_id":"{{{{{ws}}}}}","kind":"plan","item_id":"creator"},"_embedded":{"refunds":[]}}
                """),
            ("GET", "/v2/payments/tr_renew2?embed=refunds") => (200, """
                {"resource":"payment","id":"tr_renew2","status":"paid","sequenceType":"recurring","customerId":"cst_stTC2WHAuS","subscriptionId":"sub_rVKGtNd6s3",
                 "amount":{"value":"15.00","currency":"EUR"},"paidAt":"2026-12-22T06:00:00+00:00","metadata":null}
                """),
            ("GET", "/v2/customers/cst_stTC2WHAuS/subscriptions?limit=250") =>
                (200, created ? """{"count":1,"_embedded":{"subscriptions":[""" + subscriptionJson + "]}}" : """{"count":0,"_embedded":{"subscriptions":[]}}"""),
            ("POST", "/v2/customers/cst_stTC2WHAuS/subscriptions") => Create(),
            ("GET", "/v2/customers/cst_stTC2WHAuS/subscriptions/sub_rVKGtNd6s3") => (200, subscriptionJson),
            _ => (404, """{"status":404,"title":"Not Found","detail":"No payment exists with token tr_x."}"""),
        };
        (int, string) Create()
        {
            created = true;
            return (201, subscriptionJson);
        }

        for (var i = 0; i < 2; i++)
        {
            await s.Intake.Run("mollie", Encoding.UTF8.GetBytes("id=tr_first1"), new Dictionary<string, string>(), ct);
            await s.Processor.Run(10, ct);
        }
        var post = server.Requests.Single(r => r.Method == "POST");
        post.Header("Idempotency-Key").ShouldBe("kiln-subscription-tr_first1");
        using (var body = JsonDocument.Parse(post.Body))
        {
            body.RootElement.GetProperty("interval").GetString().ShouldBe("1 month");
            body.RootElement.GetProperty("amount").GetProperty("value").GetString().ShouldBe("15.00");
            body.RootElement.GetProperty("startDate").GetString().ShouldBe("2026-12-22");
            body.RootElement.GetProperty("webhookUrl").GetString().ShouldBe("https://kiln.example/webhooks/mollie");
        }
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(100);
        (await s.Db.Workspaces.SingleAsync(w => w.Id == ws, ct)).Plan.ShouldBe("creator");

        kit.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 22, 6, 5, 0, TimeSpan.Zero));
        await s.Intake.Run("mollie", Encoding.UTF8.GetBytes("id=tr_renew2"), new Dictionary<string, string>(), ct);
        await s.Processor.Run(10, ct);
        (await s.Db.LedgerEntries.CountAsync(e => e.Kind == LedgerEntryKind.SubscriptionAllowance, ct)).ShouldBe(2);
        (await s.Db.LedgerEntries.SingleAsync(e => e.Kind == LedgerEntryKind.Expiry, ct)).PostedDelta.ShouldBe(-100);
        (await new GetBalanceQuery(s.Db).Run(ws, ct)).Posted.ShouldBe(100);
    }
}

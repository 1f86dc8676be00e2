using System.Text;
using System.Text.Json;
using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Core.Billing.Providers;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Billing;

/// <summary>
/// Canceling a Mollie subscription from Kiln (Mollie has no portal): the DELETE call, the facts it becomes, the end of
/// the paid period, and agreement with webhooks handled before or after it.
/// </summary>
public sealed class MollieCancelTests
{
    private const string MollieKey = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";
    private const string Customer = "cst_stTC2WHAuS";
    private const string SubId = "sub_rVKGtNd6s3";

    /// <summary>A fake Mollie that knows one customer, one subscription made from tr_first1, and a renewal tr_renew2.</summary>
    private sealed class FakeMollie
    {
        public bool Canceled { get; set; }
        public bool Created { get; set; }

        public string Subscription(Guid ws) => $$$$"""
            {"resource":"subscription","id":"{{{{SubId}}}}","mode":"test","createdAt":"2026-11-22T12:01:05+00:00","status":"{{{{(Canceled ? "canceled" : "active")}}}}",
             "amount":{"value":"15.00","currency":"EUR"},"times":null,"timesRemaining":null,"interval":"1 month","startDate":"2026-12-22",
             {{{{(Canceled ? "\"canceledAt\":\"2026-12-30T09:00:00+00:00\"," : "\"nextPaymentDate\":\"2027-01-22\",")}}}}
             "description":"Kiln creator plan","method":null,"mandateId":"mdt_h3gAaD5zP","webhookUrl":"https://kiln.example/webhooks/mollie",
             "customerId":"{{{{Customer}}}}","metadata":{"workspace_id":"{{{{ws}}}}","plan_id":"creator","first_payment_id":"tr_first1"},
             "_links":{"self":{"href":"https://api.mollie.com/v2/customers/{{{{Customer}}}}/subscriptions/{{{{SubId}}}}","type":"application/hal+json"},
               "customer":{"href":"https://api.mollie.com/v2/customers/{{{{Customer}}}}","type":"application/hal+json"}}}
            """;

        public (int, string) Respond(RecordedRequest req, Guid ws) => (req.Method, req.PathAndQuery) switch
        {
            ("GET", "/v2/payments/tr_first1?embed=refunds") => (200, $$$$$"""
                {"resource":"payment","id":"tr_first1","status":"paid","sequenceType":"first","customerId":"{{{{{Customer}}}}}","mandateId":"mdt_h3gAaD5zP",
                 "amount":{"value":"15.00","currency":"EUR"},"paidAt":"2026-11-22T12:01:00+00:00",
                 "metadata":{"workspace_id":"{{{{{ws}}}}}","kind":"plan","item_id":"creator"},"_embedded":{"refunds":[]}}
                """),
            ("GET", "/v2/payments/tr_renew2?embed=refunds") => (200, $$$$$"""
                {"resource":"payment","id":"tr_renew2","status":"paid","sequenceType":"recurring","customerId":"{{{{{Customer}}}}}","subscriptionId":"{{{{{SubId}}}}}",
                 "amount":{"value":"15.00","currency":"EUR"},"paidAt":"2026-12-22T06:00:00+00:00","metadata":null}
                """),
            ("GET", $"/v2/customers/{Customer}/subscriptions?limit=250") =>
                (200, Created ? """{"count":1,"_embedded":{"subscriptions":[""" + Subscription(ws) + "]}}" : """{"count":0,"_embedded":{"subscriptions":[]}}"""),
            ("POST", $"/v2/customers/{Customer}/subscriptions") => Create(ws),
            ("GET", $"/v2/customers/{Customer}/subscriptions/{SubId}") => (200, Subscription(ws)),
            ("DELETE", $"/v2/customers/{Customer}/subscriptions/{SubId}") => Delete(ws),
            _ => (404, """{"status":404,"title":"Not Found","detail":"No such resource."}"""),
        };

        private (int, string) Create(Guid ws)
        {
            Created = true;
            return (201, Subscription(ws));
        }

        // Mollie refuses to cancel twice.
        private (int, string) Delete(Guid ws)
        {
            if (Canceled)
                return (422, """{"status":422,"title":"Unprocessable Entity","detail":"The subscription has been canceled","_links":{"documentation":{"href":"https://docs.mollie.com/overview/handling-errors","type":"text/html"}}}""");
            Canceled = true;
            return (200, Subscription(ws));
        }
    }

    private sealed record Setup(BillingTestKit Kit, FakeProviderServer Server, FakeMollie Mollie, BillingTestKit.Services S, MollieProvider Provider) : IAsyncDisposable
    {
        public CancelSubscriptionCommand Cancel => new(S.Db, S.Providers, S.Applier, Query);
        public GetSubscriptionQuery Query => new(S.Db, Kit.Catalog, S.Ledger, S.Providers);

        public async Task Webhook(string paymentId)
        {
            var ct = TestContext.Current.CancellationToken;
            (await S.Intake.Run("mollie", Encoding.UTF8.GetBytes("id=" + paymentId), new Dictionary<string, string>(), ct)).IsSuccess.ShouldBeTrue();
            await S.Processor.Run(10, ct);
            (await S.Db.Set<PaymentEvent>().AsNoTracking().Where(e => e.Status != PaymentEventStatus.Processed).Select(e => e.LastError).ToListAsync(ct)).ShouldBeEmpty();
        }

        public async Task<Subscription> Row()
        {
            await using var db = Kit.NewContextUntracked();
            return await db.Set<Subscription>().SingleAsync(TestContext.Current.CancellationToken);
        }

        public async Task<string> Plan()
        {
            await using var db = Kit.NewContextUntracked();
            return await db.Workspaces.Where(w => w.Id == Kit.WorkspaceId).Select(w => w.Plan).SingleAsync(TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Kit.DisposeAsync();
        }
    }

    private static async Task<Setup> StartAsync()
    {
        var server = await FakeProviderServer.StartAsync();
        var kit = new BillingTestKit(o =>
        {
            o.PublicBaseUrl = new Uri("https://kiln.example/");
            o.Provider = "mollie";
            o.Mollie = new MollieOptions { ApiKey = MollieKey, ApiBase = server.BaseAddress };
        });
        var mollie = new FakeMollie();
        server.Respond = (req, _) => mollie.Respond(req, kit.WorkspaceId);
        var db = kit.NewContext();
        var provider = new MollieProvider(new MollieClient(new HttpClient { BaseAddress = server.BaseAddress }, kit.Options), new BillingCustomers(db, kit.Clock),
            kit.Options, kit.Clock);
        var setup = new Setup(kit, server, mollie, kit.For(db, provider), provider);
        await setup.Webhook("tr_first1");
        return setup;
    }

    [Fact]
    public async Task The_client_deletes_the_subscription_with_the_api_key_and_reads_the_canceled_subscription()
    {
        await using var server = await FakeProviderServer.StartAsync();
        await using var kit = new BillingTestKit(o => o.Mollie = new MollieOptions { ApiKey = MollieKey, ApiBase = server.BaseAddress });
        // The body of Mollie's documented example answer to DELETE …/subscriptions/{id}.
        server.Respond = (_, _) => (200, """
            {"resource":"subscription","id":"sub_rVKGtNd6s3","mode":"live","createdAt":"2018-06-01T12:23:34+00:00","status":"canceled",
             "amount":{"value":"25.00","currency":"EUR"},"times":4,"interval":"3 months","description":"Quarterly payment","method":null,
             "startDate":"2016-06-01","webhookUrl":"https://webshop.example.org/payments/webhook","canceledAt":"2018-08-01T11:04:21+00:00",
             "_links":{"self":{"href":"https://api.mollie.com/v2/customers/cst_stTC2WHAuS/subscriptions/sub_rVKGtNd6s3","type":"application/hal+json"},
               "customer":{"href":"https://api.mollie.com/v2/customers/cst_stTC2WHAuS","type":"application/hal+json"},
               "documentation":{"href":"https://docs.mollie.com/reference/cancel-subscription","type":"text/html"}}}
            """);
        var client = new MollieClient(new HttpClient { BaseAddress = server.BaseAddress }, kit.Options);

        var canceled = await client.CancelSubscriptionAsync(Customer, SubId, TestContext.Current.CancellationToken);

        canceled.IsSuccess.ShouldBeTrue(canceled.Error?.Message);
        canceled.Value.GetProperty("status").GetString().ShouldBe("canceled");
        canceled.Value.GetProperty("canceledAt").GetString().ShouldBe("2018-08-01T11:04:21+00:00");
        var req = server.Requests.Single();
        (req.Method, req.PathAndQuery).ShouldBe(("DELETE", "/v2/customers/cst_stTC2WHAuS/subscriptions/sub_rVKGtNd6s3"));
        req.Header("Authorization").ShouldBe($"Bearer {MollieKey}");
        req.Body.ShouldBeEmpty();

        server.Respond = (_, _) => (422, """{"status":422,"title":"Unprocessable Entity","detail":"The subscription has been canceled"}""");
        (await client.CancelSubscriptionAsync(Customer, SubId, TestContext.Current.CancellationToken)).Error!.Message
            .ShouldBe("Mollie: HTTP 422: The subscription has been canceled");
    }

    [Fact]
    public async Task Canceling_keeps_the_plan_and_allowance_to_the_period_end_then_the_workspace_falls_back_to_free()
    {
        await using var t = await StartAsync();
        var ct = TestContext.Current.CancellationToken;
        var ws = t.Kit.WorkspaceId;
        var before = await t.Row();
        (before.Status, before.CancelAtPeriodEnd, before.CurrentPeriodEnd).ShouldBe(("active", false, new DateTime(2026, 12, 22, 0, 0, 0, DateTimeKind.Utc)));
        (await t.Query.Run(ws, ct)).CancelVia.ShouldBe("kiln");

        (await t.Cancel.Run(new Caller(Guid.NewGuid(), ws, WorkspaceRole.Member), ct)).Error!.Code.ShouldBe("forbidden");
        t.Server.Requests.ShouldNotContain(r => r.Method == "DELETE");

        var first = await t.Cancel.Run(new Caller(Guid.NewGuid(), ws, WorkspaceRole.Admin), ct);
        first.IsSuccess.ShouldBeTrue(first.Error?.Message);
        first.Value!.AlreadyCanceled.ShouldBeFalse();
        var view = first.Value.Subscription;
        (view.Status, view.CancelAtPeriodEnd, view.CurrentPeriodEnd, view.PlanId, view.AllowanceLeft).ShouldBe(("active", true, before.CurrentPeriodEnd, "creator", 100L));
        view.AllowanceExpiresAt.ShouldBe(before.CurrentPeriodEnd); // the allowance and the plan end together
        var delete = t.Server.Requests.Single(r => r.Method == "DELETE");
        (delete.PathAndQuery, delete.Header("Authorization")).ShouldBe(($"/v2/customers/{Customer}/subscriptions/{SubId}", $"Bearer {MollieKey}"));

        // Twice: nothing left to cancel, Mollie is not called again, and the answer says so.
        var second = await t.Cancel.Run(new Caller(Guid.NewGuid(), ws, WorkspaceRole.Owner), ct);
        second.Value!.AlreadyCanceled.ShouldBeTrue();
        second.Value.Subscription.ShouldBe(view with { Limits = second.Value.Subscription.Limits });
        t.Server.Requests.Count(r => r.Method == "DELETE").ShouldBe(1);

        // A late webhook about the first payment re-reads the canceled subscription and agrees.
        t.Kit.Clock.Advance(TimeSpan.FromMinutes(5));
        await t.Webhook("tr_first1");
        var after = await t.Row();
        (after.Status, after.CancelAtPeriodEnd, after.CurrentPeriodEnd).ShouldBe(("active", true, before.CurrentPeriodEnd));
        (await t.Plan()).ShouldBe("creator");

        var end = new EndLapsedSubscriptionsCommand(t.S.Db, t.S.Providers, t.S.Applier, t.Kit.Clock);
        (await end.Run(ct)).ShouldBe(0); // not before the paid period is over
        t.Kit.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 22, 0, 0, 1, TimeSpan.Zero));
        (await end.Run(ct)).ShouldBe(1);
        (await end.Run(ct)).ShouldBe(0);
        (await new ExpireAllowancesCommand(t.S.Db, t.S.Applier, t.Kit.Clock).Run(ct)).ShouldBe(1);

        var ended = await t.Row();
        (ended.Status, ended.CancelAtPeriodEnd, ended.CurrentPeriodEnd).ShouldBe(("canceled", true, before.CurrentPeriodEnd));
        (await t.Plan()).ShouldBe("free");
        (await new GetBalanceQuery(t.S.Db).Run(ws, ct)).Posted.ShouldBe(0);
        (await t.Query.Run(ws, ct)).CancelVia.ShouldBeNull();
        (await t.Cancel.Run(new Caller(Guid.NewGuid(), ws, WorkspaceRole.Owner), ct)).Error!.Code.ShouldBe("no_subscription");
    }

    [Fact]
    public async Task A_subscription_already_canceled_at_mollie_is_recorded_as_canceled_without_an_error()
    {
        await using var t = await StartAsync();
        var ct = TestContext.Current.CancellationToken;
        t.Mollie.Canceled = true; // e.g. in the Mollie dashboard, or an earlier attempt whose answer was lost

        var r = await t.Cancel.Run(new Caller(Guid.NewGuid(), t.Kit.WorkspaceId, WorkspaceRole.Owner), ct);

        r.IsSuccess.ShouldBeTrue(r.Error?.Message);
        (r.Value!.AlreadyCanceled, r.Value.Subscription.CancelAtPeriodEnd).ShouldBe((false, true));
        t.Server.Requests.Select(x => x.Method + " " + x.PathAndQuery).TakeLast(2)
            .ShouldBe([$"DELETE /v2/customers/{Customer}/subscriptions/{SubId}", $"GET /v2/customers/{Customer}/subscriptions/{SubId}"]);
    }

    [Fact]
    public async Task A_renewal_webhook_handled_before_or_after_the_cancellation_ends_in_the_same_state()
    {
        var ct = TestContext.Current.CancellationToken;
        var states = new List<string>();
        foreach (var renewalFirst in new[] { true, false })
        {
            await using var t = await StartAsync();
            t.Kit.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 30, 9, 0, 0, TimeSpan.Zero));
            if (renewalFirst) await t.Webhook("tr_renew2");
            (await t.Cancel.Run(new Caller(Guid.NewGuid(), t.Kit.WorkspaceId, WorkspaceRole.Owner), ct)).IsSuccess.ShouldBeTrue();
            t.Kit.Clock.Advance(TimeSpan.FromMinutes(1));
            if (!renewalFirst) await t.Webhook("tr_renew2");

            var sub = await t.Row();
            var allowances = await t.S.Db.LedgerEntries.CountAsync(e => e.Kind == LedgerEntryKind.SubscriptionAllowance, ct);
            var posted = (await new GetBalanceQuery(t.S.Db).Run(t.Kit.WorkspaceId, ct)).Posted;
            states.Add($"{sub.Status}|{sub.CancelAtPeriodEnd}|{sub.CurrentPeriodEnd:O}|{await t.Plan()}|{allowances}|{posted}");
        }
        states.Distinct().ShouldHaveSingleItem();
        states[0].ShouldBe("active|True|2027-01-22T00:00:00.0000000Z|creator|2|100");
    }

    [Fact]
    public async Task Stripe_subscriptions_are_canceled_in_the_portal_and_sandbox_ones_here()
    {
        await using var kit = new BillingTestKit(o => o.Stripe = new StripeOptions { SecretKey = "sk_test_x", WebhookSecret = "whsec_x" });
        var ct = TestContext.Current.CancellationToken;
        var db = kit.NewContext();
        var stripe = new StripeProvider(new StripeClient(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9/") }, kit.Options),
            new StripeSignatureVerifier(kit.Clock), new BillingCustomers(db, kit.Clock), kit.Options, kit.Clock);
        var s = kit.For(db, stripe);
        var query = new GetSubscriptionQuery(s.Db, kit.Catalog, s.Ledger, s.Providers);
        var cancel = new CancelSubscriptionCommand(s.Db, s.Providers, s.Applier, query);
        var end = kit.Clock.GetUtcNow().UtcDateTime.AddDays(30);
        (await s.Applier.ApplyAsync("stripe", new SubscriptionChanged(kit.WorkspaceId, "sub_1MowQVLkdIwHu7ixeRlqHVzs", "pro", "active", kit.Clock.GetUtcNow().UtcDateTime,
            end, false, kit.Clock.GetUtcNow().UtcDateTime), ct)).ShouldBeNull();

        (await query.Run(kit.WorkspaceId, ct)).CancelVia.ShouldBe("portal");
        (await cancel.Run(new Caller(Guid.NewGuid(), kit.WorkspaceId, WorkspaceRole.Owner), ct)).Error!.Code.ShouldBe("cancel_in_portal");

        var other = Guid.CreateVersion7();
        s.Db.Workspaces.Add(new Workspace { Id = other, Name = "Sandbox", CreatedAt = kit.Clock.GetUtcNow().UtcDateTime });
        await s.Db.SaveChangesAsync(ct);
        (await s.Applier.ApplyAsync("sandbox", new SubscriptionChanged(other, "sub_sbx_1", "creator", "active", kit.Clock.GetUtcNow().UtcDateTime, end, false,
            kit.Clock.GetUtcNow().UtcDateTime), ct)).ShouldBeNull();
        (await query.Run(other, ct)).CancelVia.ShouldBe("kiln");
        var r = await cancel.Run(new Caller(Guid.NewGuid(), other, WorkspaceRole.Admin), ct);
        (r.Value!.Subscription.Status, r.Value.Subscription.CancelAtPeriodEnd, r.Value.Subscription.CurrentPeriodEnd).ShouldBe(("active", true, end));
    }

    [Theory]
    [InlineData("2026-11-22T12:01:00Z", "2026-12-22", "1 month", "2026-12-22")]
    [InlineData("2026-12-22T06:00:00Z", "2026-12-22", "1 month", "2027-01-22")]
    [InlineData("2026-12-27T10:00:00Z", "2026-12-22", "1 month", "2027-01-22")] // SEPA settles days later
    [InlineData("2026-12-22T06:00:00Z", "2026-12-01", "2 weeks", "2026-12-29")]
    public void The_paid_period_ends_at_the_next_billing_date_after_the_payment(string paidAt, string startDate, string interval, string expected)
    {
        using var sub = JsonDocument.Parse(JsonSerializer.Serialize(new { startDate, interval }));
        var end = MollieProvider.PaidThrough(sub.RootElement, DateTimeOffset.Parse(paidAt, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime);
        end.ShouldBe(DateTime.SpecifyKind(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc));
    }
}

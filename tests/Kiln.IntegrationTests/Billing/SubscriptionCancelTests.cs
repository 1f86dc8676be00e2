using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Kiln.Core.Billing;
using Kiln.Core.Tests.Billing;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.IntegrationTests.Billing;

/// <summary>
/// Canceling a Mollie subscription through the real host: checkout and webhook against a fake Mollie over HTTP, then
/// <c>POST /api/billing/subscription/cancel</c> as a member, as the owner, and again; then the end of the paid period.
/// </summary>
public sealed class SubscriptionCancelTests(PostgresServer pg)
{
    private const string MollieKey = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM";
    private const string Customer = "cst_stTC2WHAuS";
    private const string SubId = "sub_rVKGtNd6s3";

    /// <summary>Just enough of Mollie for a plan checkout, its first payment, the subscription Kiln creates, and canceling it.</summary>
    private sealed class FakeMollie(Guid workspace)
    {
        private bool _created, _canceled;
        private readonly string _paidAt = DateTime.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ss+00:00", System.Globalization.CultureInfo.InvariantCulture);
        public string StartDate { get; } = DateTime.UtcNow.AddMonths(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        private string Subscription() => $$$$"""
            {"resource":"subscription","id":"{{{{SubId}}}}","mode":"test","status":"{{{{(_canceled ? "canceled" : "active")}}}}","amount":{"value":"15.00","currency":"EUR"},
             "times":null,"interval":"1 month","startDate":"{{{{StartDate}}}}",{{{{(_canceled ? "\"canceledAt\":\"" + _paidAt + "\"," : "\"nextPaymentDate\":\"" + StartDate + "\",")}}}}
             "description":"Kiln creator plan","method":null,"customerId":"{{{{Customer}}}}",
             "metadata":{"workspace_id":"{{{{workspace}}}}","plan_id":"creator","first_payment_id":"tr_first1"}}
            """;

        public (int, string) Respond(RecordedRequest req) => (req.Method, req.PathAndQuery) switch
        {
            ("POST", "/v2/customers") => (201, $$"""{"resource":"customer","id":"{{Customer}}","mode":"test","name":"Workspace","metadata":null}"""),
            ("POST", "/v2/payments") => (201, $$$$"""
                {"resource":"payment","id":"tr_first1","mode":"test","status":"open","sequenceType":"first","customerId":"{{{{Customer}}}}",
                 "amount":{"value":"15.00","currency":"EUR"},"metadata":{"workspace_id":"{{{{workspace}}}}","kind":"plan","item_id":"creator"},
                 "_links":{"checkout":{"href":"https://www.mollie.com/checkout/select-method/7UhSN1zuXS","type":"text/html"}}}
                """),
            ("GET", "/v2/payments/tr_first1?embed=refunds") => (200, $$$$"""
                {"resource":"payment","id":"tr_first1","status":"paid","sequenceType":"first","customerId":"{{{{Customer}}}}","mandateId":"mdt_h3gAaD5zP",
                 "amount":{"value":"15.00","currency":"EUR"},"paidAt":"{{{{_paidAt}}}}",
                 "metadata":{"workspace_id":"{{{{workspace}}}}","kind":"plan","item_id":"creator"},"_embedded":{"refunds":[]}}
                """),
            ("GET", $"/v2/customers/{Customer}/subscriptions?limit=250") =>
                (200, _created ? """{"count":1,"_embedded":{"subscriptions":[""" + Subscription() + "]}}" : """{"count":0,"_embedded":{"subscriptions":[]}}"""),
            ("POST", $"/v2/customers/{Customer}/subscriptions") => Create(),
            ("GET", $"/v2/customers/{Customer}/subscriptions/{SubId}") => (200, Subscription()),
            ("DELETE", $"/v2/customers/{Customer}/subscriptions/{SubId}") => Cancel(),
            _ => (404, """{"status":404,"title":"Not Found","detail":"No such resource."}"""),
        };

        private (int, string) Create()
        {
            _created = true;
            return (201, Subscription());
        }

        private (int, string) Cancel()
        {
            if (_canceled) return (422, """{"status":422,"title":"Unprocessable Entity","detail":"The subscription has been canceled"}""");
            _canceled = true;
            return (200, Subscription());
        }
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_owner_cancels_a_mollie_subscription_once_members_cannot_and_the_plan_runs_to_its_period_end(string provider)
    {
        await using var mollie = await FakeProviderServer.StartAsync();
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Billing:Provider"] = "mollie",
            ["Kiln:Billing:Mollie:ApiKey"] = MollieKey,
            ["Kiln:Billing:Mollie:ApiBase"] = mollie.BaseAddress.ToString(),
        });
        var owner = await host.SignUpAsync();
        var colleague = await host.SignUpAsync();
        var fake = new FakeMollie(owner.WorkspaceId);
        mollie.Respond = (req, _) => fake.Respond(req);

        // Subscribe: checkout, then Mollie's webhook for the paid first payment, processed as the worker would.
        var checkout = await (await owner.Client.PostAsJsonAsync("/api/billing/checkout", new { kind = "plan", itemId = "creator" })).Json(HttpStatusCode.OK);
        checkout.GetProperty("url").GetString().ShouldBe("https://www.mollie.com/checkout/select-method/7UhSN1zuXS");
        var hook = await host.CreateClient().PostAsync("/webhooks/mollie", new StringContent("id=tr_first1", Encoding.UTF8, "application/x-www-form-urlencoded"));
        hook.StatusCode.ShouldBe(HttpStatusCode.OK, await hook.Content.ReadAsStringAsync());
        await using (var scope = host.Services.CreateAsyncScope())
            (await scope.ServiceProvider.GetRequiredService<ProcessPaymentEventsCommand>().Run(10, default)).ShouldBe(1);

        var subscribed = await (await owner.Client.GetAsync("/api/billing/subscription")).Json(HttpStatusCode.OK);
        (subscribed.GetProperty("planId").GetString(), subscribed.GetProperty("status").GetString(), subscribed.GetProperty("cancelVia").GetString())
            .ShouldBe(("creator", "active", "kiln"));
        subscribed.GetProperty("cancelAtPeriodEnd").GetBoolean().ShouldBeFalse();
        var periodEnd = subscribed.GetProperty("currentPeriodEnd").GetDateTime();
        periodEnd.ShouldBe(DateTime.Parse(fake.StartDate, System.Globalization.CultureInfo.InvariantCulture));
        (await owner.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(125);
        await (await owner.Client.PostAsync("/api/billing/portal", null)).Problem(HttpStatusCode.Conflict, "portal_unavailable");

        // A member of the workspace may not cancel; a workspace without a subscription has nothing to cancel.
        await (await colleague.Client.PostAsync("/api/billing/subscription/cancel", null)).Problem(HttpStatusCode.Conflict, "no_subscription");
        await KilnTestHost.JoinAsync(owner, colleague);
        await (await colleague.Client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/switch", null)).Json(HttpStatusCode.OK);
        await (await colleague.Client.PostAsync("/api/billing/subscription/cancel", null)).Problem(HttpStatusCode.Forbidden, "forbidden");
        mollie.Requests.ShouldNotContain(r => r.Method == "DELETE");

        var canceled = await (await owner.Client.PostAsync("/api/billing/subscription/cancel", null)).Json(HttpStatusCode.OK);
        (canceled.GetProperty("planId").GetString(), canceled.GetProperty("status").GetString()).ShouldBe(("creator", "active"));
        canceled.GetProperty("cancelAtPeriodEnd").GetBoolean().ShouldBeTrue();
        canceled.GetProperty("currentPeriodEnd").GetDateTime().ShouldBe(periodEnd);
        canceled.GetProperty("allowanceLeft").GetInt64().ShouldBe(100);
        var delete = mollie.Requests.Single(r => r.Method == "DELETE");
        delete.PathAndQuery.ShouldBe($"/v2/customers/{Customer}/subscriptions/{SubId}");
        delete.Header("Authorization").ShouldBe($"Bearer {MollieKey}");

        // Twice is a no-op with the same answer, and Mollie is not asked again.
        var again = await (await owner.Client.PostAsync("/api/billing/subscription/cancel", null)).Json(HttpStatusCode.OK);
        again.GetRawText().ShouldBe(canceled.GetRawText());
        mollie.Requests.Count(r => r.Method == "DELETE").ShouldBe(1);

        // Once the paid period is over the subscription ends and the workspace is on Free; the allowance expires.
        await using (var scope = host.Services.CreateAsyncScope())
        {
            TimeProvider after = new FakeTimeProvider(new DateTimeOffset(periodEnd, TimeSpan.Zero).AddSeconds(1));
            (await ActivatorUtilities.CreateInstance<EndLapsedSubscriptionsCommand>(scope.ServiceProvider, after).Run(default)).ShouldBe(1);
            (await ActivatorUtilities.CreateInstance<ExpireAllowancesCommand>(scope.ServiceProvider, after).Run(default)).ShouldBe(1);
        }
        var ended = await (await owner.Client.GetAsync("/api/billing/subscription")).Json(HttpStatusCode.OK);
        (ended.GetProperty("planId").GetString(), ended.GetProperty("status").GetString()).ShouldBe(("free", "canceled"));
        ended.GetProperty("currentPeriodEnd").GetDateTime().ShouldBe(periodEnd);
        ended.GetProperty("cancelVia").ValueKind.ShouldBe(JsonValueKind.Null);
        (await owner.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        await (await owner.Client.PostAsync("/api/billing/subscription/cancel", null)).Problem(HttpStatusCode.Conflict, "no_subscription");

        await using var db = host.NewDbContext();
        (await db.Set<Subscription>().SingleAsync()).Status.ShouldBe("canceled");
        (await db.Workspaces.SingleAsync(w => w.Id == owner.WorkspaceId)).Plan.ShouldBe("free");
        await DbAssertions.LedgerBalances(db);
    }
}

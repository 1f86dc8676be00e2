using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Billing;

/// <summary>Webhooks over real HTTP into the real host: verified on the raw bytes, stored once, credited once.</summary>
public sealed class WebhookTests(PostgresServer pg)
{
    private const string Secret = "whsec_integration_test_secret_0123456789";

    private static Dictionary<string, string?> Sandbox => new()
    {
        ["Kiln:Billing:Provider"] = "sandbox",
        ["Kiln:Billing:Sandbox:Secret"] = Secret,
    };

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_payment_delivered_many_times_and_concurrently_is_credited_once(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: true, Sandbox);
        var user = await host.SignUpAsync();
        var catalog = await (await host.CreateClient().GetAsync("/api/billing/catalog")).Json(HttpStatusCode.OK);
        catalog.GetProperty("packs").GetArrayLength().ShouldBe(3);

        var body = JsonSerializer.SerializeToUtf8Bytes(CompleteSandboxCheckoutCommand.Event("payment.succeeded", DateTimeOffset.UtcNow, new
        {
            workspace_id = user.WorkspaceId.ToString(), payment_id = "pay_http_1", item_id = "pack-50", amount = 2000, currency = "EUR",
        }));
        var anonymous = host.CreateClient();
        HttpRequestMessage Delivery(string? signature = null)
        {
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/sandbox") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("webhook-id", "evt_http_1");
            request.Headers.Add("webhook-timestamp", ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", signature ?? StandardWebhookVerifier.Sign(Secret, "evt_http_1", ts, body));
            return request;
        }

        (await anonymous.SendAsync(Delivery("v1,AAAA"))).StatusCode.ShouldBeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized);
        for (var i = 0; i < 30; i++) (await anonymous.SendAsync(Delivery())).IsSuccessStatusCode.ShouldBeTrue();
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => anonymous.SendAsync(Delivery())));
        concurrent.ShouldAllBe(r => r.IsSuccessStatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await user.Client.Balance()).GetProperty("available").GetInt64() != 75 && DateTime.UtcNow < deadline) await Task.Delay(200);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(75);
        await host.WaitForIdlePassAsync<PaymentEventsWorker>(); // the inbox is drained: no second credit is on its way
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(75);

        await using var db = host.NewDbContext();
        (await db.LedgerEntries.CountAsync(e => e.Kind == LedgerEntryKind.Purchase)).ShouldBe(1);
        (await db.Set<PaymentEvent>().CountAsync()).ShouldBe(1);
        await DbAssertions.LedgerBalances(db);
        var payments = await (await user.Client.GetAsync("/api/billing/payments")).Json(HttpStatusCode.OK);
        var payment = payments.EnumerateArray().ShouldHaveSingleItem();
        payment.GetProperty("itemId").GetString().ShouldBe("pack-50");
        payment.GetProperty("credits").GetInt64().ShouldBe(50);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sandbox_checkout_starts_from_the_api(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, Sandbox);
        var user = await host.SignUpAsync();
        var checkout = await (await user.Client.PostAsJsonAsync("/api/billing/checkout", new { kind = "pack", itemId = "pack-10" })).Json(HttpStatusCode.OK);
        checkout.GetProperty("url").GetString()!.ShouldContain("/billing/sandbox/checkout?session=");
        await (await user.Client.PostAsJsonAsync("/api/billing/checkout", new { kind = "pack", itemId = "nope" })).Problem(HttpStatusCode.BadRequest, "unknown_pack");
    }
}

using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Kiln.Core.Tests.Billing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>Webhooks on the workspace page, with JavaScript off: plain forms, a secret shown once, a test event delivered.</summary>
public sealed class WebhookTests(KilnApp app)
{
    [Fact]
    public async Task An_owner_adds_an_endpoint_sees_the_secret_once_and_a_test_event_is_delivered()
    {
        await using var receiver = await FakeProviderServer.StartAsync();
        receiver.Respond = (_, _) => (200, "{}");
        await using var s = await BrowserSession.OpenAsync(app, nameof(An_owner_adds_an_endpoint_sees_the_secret_once_and_a_test_event_is_delivered), javaScript: false);
        await s.SignUpAsync($"hooks-{Guid.NewGuid():N}"[..20] + "@example.com");
        await s.GoAsync("/workspace/webhooks");
        await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Name = "Webhooks", Exact = true })).ToBeVisibleAsync();
        await Expect(s.Page.GetByText("No webhook endpoints yet.")).ToBeVisibleAsync();

        // A readable error for a URL that is not one; nothing is created.
        await s.Page.GetByLabel("Endpoint URL").FillAsync("not a url");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).ClickAsync();
        await Expect(s.Page.Locator("#webhookurl-error")).ToContainTextAsync("Enter an absolute URL");
        await s.ShotAsync("webhook-invalid-url");

        var url = new Uri(receiver.BaseAddress, "kiln").ToString();
        await s.Page.GetByLabel("Endpoint URL").FillAsync(url);
        await s.Page.GetByLabel("Description (optional)").FillAsync("Browser test receiver");
        await s.Page.GetByLabel("job.started").CheckAsync();
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).ClickAsync();
        var secret = await s.Page.Locator("#new-webhook-secret").InputValueAsync();
        secret.ShouldStartWith("whsec_");
        await Expect(s.Page.Locator("#webhook-endpoints")).ToContainTextAsync(url);
        await Expect(s.Page.Locator("#webhook-endpoints")).ToContainTextAsync("job.started");
        await s.ShotAsync("webhook-created");

        // The secret is not shown again.
        await s.GoAsync("/workspace/webhooks");
        (await s.Page.Locator("#new-webhook-secret").CountAsync()).ShouldBe(0);

        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Send a test event to " + url }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Test event queued");
        await s.ShotAsync("webhook-test-queued");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await s.Page.Locator("#webhook-delivery-list .badge-succeeded").CountAsync() == 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The test delivery was not shown as succeeded.");
            await Task.Delay(300);
            await s.Page.ReloadAsync();
        }
        await Expect(s.Page.Locator("#webhook-delivery-list")).ToContainTextAsync("webhook.test");
        await Expect(s.Page.Locator("#webhook-delivery-list")).ToContainTextAsync("HTTP 200");
        await Expect(s.Page.Locator("#webhook-endpoints")).ToContainTextAsync("succeeded");
        await s.ShotAsync("webhook-delivered");
        await s.MobileShotAsync("webhooks");

        // The receiver got exactly that, signed with the secret the page showed.
        var request = receiver.Requests.ShouldHaveSingleItem();
        JsonDocument.Parse(request.Body).RootElement.GetProperty("type").GetString().ShouldBe("webhook.test");
        new StandardWebhookVerifier(TimeProvider.System).Verify(Encoding.UTF8.GetBytes(request.Body), request.Header("webhook-id"),
            request.Header("webhook-timestamp"), request.Header("webhook-signature"), secret).ShouldBeNull();

        // An endpoint Kiln disabled (here: as if it had answered 410 Gone) offers Enable instead of Send test.
        await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Set<WebhookEndpoint>().IgnoreQueryFilters().Where(e => e.Url == url)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.Enabled, false).SetProperty(e => e.DisabledReason, "The endpoint answered 410 Gone.")));
        await s.GoAsync("/workspace/webhooks");
        await Expect(s.Page.Locator("#webhook-endpoints")).ToContainTextAsync("410 Gone");
        await Expect(s.Page.GetByRole(AriaRole.Button, new() { Name = "Send a test event to " + url })).ToHaveCountAsync(0);
        await s.ShotAsync("webhook-disabled");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Enable endpoint " + url + " again" }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("enabled again");
        await Expect(s.Page.GetByRole(AriaRole.Button, new() { Name = "Send a test event to " + url })).ToBeVisibleAsync();

        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Delete endpoint " + url }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("deleted");
        await Expect(s.Page.GetByText("No webhook endpoints yet.")).ToBeVisibleAsync();
        await s.ShotAsync("webhook-deleted");
    }
}

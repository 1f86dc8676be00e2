using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>The pricing page, the low-credit banner and the admin payment console, over the sandbox provider.</summary>
public sealed class BillingTests(KilnApp app)
{
    private static string Email(string tag) => $"{tag}-{Guid.NewGuid():N}"[..20] + "@example.com";

    [Fact]
    public async Task Anonymous_visitors_see_packs_and_plans_with_formatted_prices()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Anonymous_visitors_see_packs_and_plans_with_formatted_prices), "visitor");
        await s.GoAsync("/");
        await s.Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Pricing" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/pricing");
        await s.ShotAsync();

        var packs = s.Page.Locator("#packs > li");
        await Expect(packs).ToHaveCountAsync(3);
        await Expect(packs.GetByTestId("price")).ToHaveTextAsync(["€5.00", "€20.00", "€35.00"]);
        await Expect(packs.Nth(1)).ToContainTextAsync("50 credits");

        var plans = s.Page.Locator("#plans > li");
        await Expect(plans).ToHaveCountAsync(3);
        await Expect(plans.GetByTestId("price")).ToHaveTextAsync(["Free", "€15.00 / month", "€49.00 / month"]);
        var creator = s.Page.Locator("li[data-plan=creator]");
        await Expect(creator).ToContainTextAsync("100 credits");
        await Expect(creator).ToContainTextAsync("Up to 500 MB");
        await Expect(creator).ToContainTextAsync("30 days");
        await Expect(creator).ToContainTextAsync("All pipelines");

        // Visitors are sent to sign up rather than shown buttons that need a workspace.
        await Expect(s.Page.GetByRole(AriaRole.Link, new() { Name = "Sign up to buy 50 credits" })).ToHaveAttributeAsync("href", "/signup");
        (await s.Page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^(Buy|Subscribe)") }).CountAsync()).ShouldBe(0);
        (await s.Page.Locator("#low-credit-banner").CountAsync()).ShouldBe(0);
        await s.MobileShotAsync("pricing");
    }

    [Fact]
    public async Task A_low_balance_shows_the_banner_until_a_pack_is_bought_from_the_pricing_page()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_low_balance_shows_the_banner_until_a_pack_is_bought_from_the_pricing_page));
        var email = Email("low");
        await s.SignUpAsync(email);
        await Expect(s.Page.Locator("#low-credit-banner")).ToHaveCountAsync(0);

        // Spend the free grant down to 3 (below the default threshold of 5) with an operator adjustment.
        var workspace = await WorkspaceOf(email);
        await app.WithScope(async sp =>
        {
            var r = await sp.GetRequiredService<CreditsLedger>().PostAsync(workspace, LedgerEntryKind.Adjustment, -22, "test:low:" + workspace, "Test: low balance", null, CancellationToken.None);
            return r.Value ?? throw new InvalidOperationException(r.Error!.Message);
        });

        await s.GoAsync("/dashboard");
        var banner = s.Page.Locator("#low-credit-banner");
        await Expect(banner).ToHaveTextAsync("You have 3 credits left — buy credits");
        await s.GoAsync("/jobs");
        await Expect(banner).ToBeVisibleAsync();
        await banner.GetByRole(AriaRole.Link, new() { Name = "buy credits" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/pricing");
        await s.ShotAsync();
        await Expect(s.Page.Locator("li[data-plan=free]")).ToContainTextAsync("Current plan");

        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Buy 10 credits" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/billing/sandbox/checkout**");
        await s.ShotAsync("sandbox-checkout");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Pay €5.00" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/billing/success");
        await s.ShotAsync("billing-success");

        await s.GoAsync("/dashboard");
        await Expect(s.Page.GetByTestId("available")).ToHaveTextAsync("13");
        await Expect(banner).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_admin_inspects_and_retries_payment_events_and_others_get_404()
    {
        var adminEmail = Email("billadmin");
        await app.CreateUserAsync(adminEmail, BrowserSession.Password, isAdmin: true);
        await using var admin = await BrowserSession.OpenAsync(app, nameof(An_admin_inspects_and_retries_payment_events_and_others_get_404), "admin");
        await admin.SignInAsync(adminEmail);

        // A real sandbox purchase gives a processed event.
        await admin.GoAsync("/pricing");
        await admin.Page.GetByRole(AriaRole.Button, new() { Name = "Buy 10 credits" }).ClickAsync();
        await admin.Page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Pay ") }).ClickAsync();
        await admin.Page.WaitForURLAsync("**/billing/success");
        var workspace = await WorkspaceOf(adminEmail);
        var paid = await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Set<PaymentEvent>()
            .Where(e => e.Type == "payment.succeeded" && e.Payload.Contains(workspace.ToString())).Select(e => e.EventId).SingleAsync());
        // The success page processes the event inline, unless the background loop claimed it a moment earlier.
        await WaitForEventAsync(e => e.EventId == paid && e.Status == PaymentEventStatus.Processed);

        // A failed one: a signed delivery through the normal intake whose pack and workspace do not exist.
        var failed = await DeliverBrokenSandboxEventAsync();

        await admin.GoAsync("/admin");
        await admin.Page.GetByRole(AriaRole.Link, new() { Name = "Payment events" }).ClickAsync();
        await admin.Page.WaitForURLAsync("**/admin/billing");
        await admin.ShotAsync();
        var paidRow = admin.Page.Locator($"tr[data-event='{paid}']");
        await Expect(paidRow).ToContainTextAsync("processed");
        await Expect(paidRow).ToContainTextAsync("sandbox");

        await paidRow.GetByRole(AriaRole.Link).ClickAsync();
        await admin.Page.WaitForURLAsync(new Regex("/admin/billing/events/[0-9a-f-]{36}$"));
        await admin.ShotAsync("event-processed");
        await Expect(admin.Page.Locator("#payload")).ToContainTextAsync($"\"workspace_id\": \"{workspace}\"");
        await Expect(admin.Page.Locator("#payload")).ToContainTextAsync("\n  \"data\": {");

        await admin.GoAsync("/admin/billing?status=failed");
        var failedRow = admin.Page.Locator($"tr[data-event='{failed.EventId}']");
        await Expect(failedRow).ToContainTextAsync("unknown_pack");
        await failedRow.GetByRole(AriaRole.Link).ClickAsync();
        await admin.Page.WaitForURLAsync(new Regex("/admin/billing/events/[0-9a-f-]{36}$"));
        // The forged markup is shown as text, not rendered.
        await Expect(admin.Page.Locator("#payload")).ToContainTextAsync("<b>forged</b>");
        (await admin.Page.Locator("#payload b").CountAsync()).ShouldBe(0);
        await admin.ShotAsync("event-failed");
        await admin.GoAsync("/admin/billing?status=failed");
        await failedRow.GetByRole(AriaRole.Button, new() { Name = "Retry event " + failed.EventId }).ClickAsync();
        await Expect(admin.Page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Event {failed.EventId} is queued for another attempt.");
        await admin.ShotAsync("event-retried");
        // The background loop makes the extra attempt within seconds; its pack still does not exist, so it fails again
        // (a manual retry is one more attempt, not a fresh schedule) with the same error.
        var after = await WaitForEventAsync(e => e.Id == failed.Id && e.Attempts == 11 && e.Status == PaymentEventStatus.Failed);
        after.LastError.ShouldNotBeNull().ShouldContain("unknown_pack");

        await using var user = await BrowserSession.OpenAsync(app, nameof(An_admin_inspects_and_retries_payment_events_and_others_get_404), "user");
        await user.SignUpAsync(Email("nosy"));
        (await user.GoAsync("/admin/billing"))!.Status.ShouldBe(404);
        await Expect(user.Page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        (await user.GoAsync($"/admin/billing/events/{failed.Id}"))!.Status.ShouldBe(404);
    }

    [Fact]
    public async Task A_sandbox_plan_is_canceled_from_billing_settings_with_JavaScript_off()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_sandbox_plan_is_canceled_from_billing_settings_with_JavaScript_off), javaScript: false);
        await s.SignUpAsync(Email("cancel"));
        await s.GoAsync("/pricing");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Subscribe to Creator" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/billing/sandbox/checkout**");
        await s.ShotAsync("sandbox-checkout");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Pay €15.00" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/billing/success");
        await s.ShotAsync("billing-success");

        await s.GoAsync("/settings/billing");
        await Expect(s.Page.GetByTestId("subscription-status")).ToHaveTextAsync("active");
        var renews = await s.Page.GetByTestId("period-end").InnerTextAsync();
        renews.ShouldEndWith("UTC");
        // No portal to send a sandbox (or Mollie) payer to: the plan is canceled here.
        (await s.Page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Manage") }).CountAsync()).ShouldBe(0);
        var confirm = s.Page.GetByRole(AriaRole.Button, new() { Name = "Confirm: cancel subscription" });
        await Expect(confirm).Not.ToBeVisibleAsync();
        await s.Page.Locator("#cancel-subscription summary").ClickAsync(); // <details>: opens without JavaScript
        await Expect(s.Page.Locator("#cancel-subscription")).ToContainTextAsync($"You keep the Creator plan and its remaining allowance until {renews}");
        await s.ShotAsync("cancel-confirmation");
        await confirm.ClickAsync();

        await s.Page.WaitForURLAsync("**/settings/billing");
        await s.ShotAsync("canceled");
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Subscription canceled. No further payments will be taken; the Creator plan and its allowance stay until {renews}");
        await Expect(s.Page.GetByTestId("subscription-status")).ToHaveTextAsync("active — canceled, does not renew");
        await Expect(s.Page.GetByTestId("period-end")).ToHaveTextAsync(renews);
        await Expect(s.Page.Locator("#cancel-state")).ToContainTextAsync($"stay until {renews}; then this workspace moves to the Free plan");
        (await s.Page.Locator("#cancel-subscription").CountAsync()).ShouldBe(0);

        // The plan is still the paid one until the period ends.
        await s.GoAsync("/pricing");
        await Expect(s.Page.Locator("li[data-plan=creator]")).ToContainTextAsync("Current plan");
    }

    private async Task<PaymentEvent> WaitForEventAsync(System.Linq.Expressions.Expression<Func<PaymentEvent, bool>> condition)
    {
        for (var i = 0; ; i++)
        {
            var found = await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Set<PaymentEvent>().AsNoTracking().FirstOrDefaultAsync(condition));
            if (found is not null) return found;
            if (i == 300) throw new TimeoutException("No payment event reached the expected state within 30 s.");
            await Task.Delay(100);
        }
    }

    private Task<Guid> WorkspaceOf(string email) => app.WithScope(async sp =>
    {
        var db = sp.GetRequiredService<KilnDbContext>();
        var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
        return await db.WorkspaceMembers.Where(m => m.UserId == userId).Select(m => m.WorkspaceId).FirstAsync();
    });

    /// <summary>
    /// Delivers a correctly signed sandbox webhook through <see cref="ReceiveWebhookCommand"/> and lets the processor fail
    /// on it once, so the error is the real one; then marks it failed as if its attempts had run out.
    /// </summary>
    private Task<PaymentEvent> DeliverBrokenSandboxEventAsync() => app.WithScope(async sp =>
    {
        var secret = sp.GetRequiredService<IOptions<BillingOptions>>().Value.Sandbox.Secret!;
        var id = "evt_broken_" + Guid.NewGuid().ToString("N")[..12];
        var body = JsonSerializer.SerializeToUtf8Bytes(CompleteSandboxCheckoutCommand.Event("payment.succeeded", DateTimeOffset.UtcNow, new
        {
            workspace_id = Guid.NewGuid().ToString(), payment_id = "sbx_" + id, item_id = "<b>forged</b>", amount = 500, currency = "EUR",
        }));
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var headers = new Dictionary<string, string>
        {
            ["webhook-id"] = id, ["webhook-timestamp"] = ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = StandardWebhookVerifier.Sign(secret, id, ts, body),
        };
        var receipt = await sp.GetRequiredService<ReceiveWebhookCommand>().Run("sandbox", body, headers, CancellationToken.None);
        var eventId = receipt.Value?.EventId ?? throw new InvalidOperationException(receipt.Error!.Message);
        // The background worker may claim it first (then this returns null); either way one attempt records the error.
        await sp.GetRequiredService<ProcessPaymentEventsCommand>().ProcessOneAsync(eventId, CancellationToken.None);
        var db = sp.GetRequiredService<KilnDbContext>();
        for (var i = 0; i < 100 && !await db.Set<PaymentEvent>().AnyAsync(e => e.Id == eventId && e.Status == PaymentEventStatus.Pending && e.LastError != null); i++)
            await Task.Delay(100);
        await db.Set<PaymentEvent>().Where(e => e.Id == eventId)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, PaymentEventStatus.Failed).SetProperty(e => e.Attempts, 10));
        return await db.Set<PaymentEvent>().AsNoTracking().SingleAsync(e => e.Id == eventId);
    });
}

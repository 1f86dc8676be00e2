using Kiln.Core.Accounts.Email;
using Kiln.Core.Data;
using Kiln.Core.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>
/// Verify the email address, reset a forgotten password, turn on two-factor sign-in and sign in with it — in Chromium.
/// The app runs without SMTP (the embedded default), so the links are read from the local outbox, as an operator would.
/// </summary>
public sealed class AccountJourneyTests(KilnApp app)
{
    private Task<string> LatestLinkAsync(string to, string kind) => app.WithScope(async sp =>
    {
        var db = sp.GetRequiredService<KilnDbContext>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var body = await db.EmailOutbox.AsNoTracking().Where(e => e.ToAddress == to && e.Kind == kind)
                .OrderByDescending(e => e.CreatedAt).Select(e => e.TextBody).FirstOrDefaultAsync();
            if (body is not null)
            {
                var start = body.IndexOf("http", StringComparison.Ordinal);
                var url = body[start..body.IndexOf('\n', start)];
                return new Uri(url).PathAndQuery;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No {kind} email to {to}.");
            await Task.Delay(100);
        }
    });

    [Fact]
    public async Task Verify_the_email_reset_the_password_then_turn_on_two_factor_and_sign_in_with_a_code()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Verify_the_email_reset_the_password_then_turn_on_two_factor_and_sign_in_with_a_code));
        var email = $"acct-{Guid.NewGuid():N}"[..20] + "@example.com";
        await s.SignUpAsync(email);

        // Verify: ask for a link on the settings page, open it, confirm.
        await s.GoAsync("/account/settings");
        await Expect(s.Page.GetByText("not confirmed")).ToBeVisibleAsync();
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Send a new confirmation link" }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("We sent a new confirmation link");
        await s.GoAsync(await LatestLinkAsync(email, "verify_email"));
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync($"{email} is confirmed");
        await s.ShotAsync("email-confirmed");

        // Reset: sign out, ask for a link, choose a new password, sign in with it.
        await s.GoAsync("/signout");
        await s.Page.GetByRole(AriaRole.Main).GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await s.GoAsync("/signin");
        await s.Page.GetByRole(AriaRole.Link, new() { Name = "Forgot your password?" }).ClickAsync();
        await s.Page.GetByLabel("Email").FillAsync(email);
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Send the link" }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("If an account uses");
        await s.GoAsync(await LatestLinkAsync(email, "password_reset"));
        await s.Page.GetByLabel("New password").FillAsync("short");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Set the new password" }).ClickAsync();
        await Expect(s.Page.Locator("#password-error")).ToContainTextAsync("at least 8");
        const string newPassword = "a fresh passphrase 42";
        await s.Page.GetByLabel("New password").FillAsync(newPassword);
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Set the new password" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/signin");
        await SignInAsync(s, email, newPassword);
        await s.Page.WaitForURLAsync("**/dashboard");

        // Two-factor: scan (read) the key, enter the code, keep the recovery codes.
        await s.GoAsync("/account/two-factor");
        await Expect(s.Page.Locator("figure.qr svg")).ToBeVisibleAsync();
        var key = await s.Page.Locator("#shared-key").InnerTextAsync();
        await s.Page.GetByLabel("Code from the app").FillAsync(Totp.Code(key));
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Name = "Your recovery codes" })).ToBeVisibleAsync();
        (await s.Page.Locator(".recovery-codes li").CountAsync()).ShouldBe(10);
        await s.ShotAsync("two-factor-on");

        // Sign in again: the password, then the code.
        await s.GoAsync("/signout");
        await s.Page.GetByRole(AriaRole.Main).GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await SignInAsync(s, email, newPassword);
        await s.Page.WaitForURLAsync("**/signin/two-factor**");
        await s.Page.GetByLabel("Code from your authenticator app").FillAsync("000000" == Totp.Code(key) ? "111111" : "000000");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(s.Page.Locator("#code-error")).ToContainTextAsync("That code is not right");
        // Each code works once: the one that turned 2FA on is spent, so the app's next code signs in.
        await s.Page.GetByLabel("Code from your authenticator app").FillAsync(Totp.Code(key, DateTimeOffset.UtcNow.AddSeconds(30)));
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/dashboard");
    }

    private static async Task SignInAsync(BrowserSession s, string email, string password)
    {
        await s.GoAsync("/signin");
        await s.Page.GetByLabel("Email").FillAsync(email);
        await s.Page.GetByLabel("Password").FillAsync(password);
        await s.Page.GetByRole(AriaRole.Main).GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}

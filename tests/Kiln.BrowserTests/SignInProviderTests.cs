using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>
/// "Sign in with …" in Chromium: the real redirects to the OpenID Connect issuer (oauth2-mock-server) and back, and the
/// Google handler with its endpoints pointed at the same server. One class, so the tests take turns choosing who the
/// issuer signs in.
/// </summary>
public sealed class SignInProviderTests(KilnApp app)
{
    [Fact]
    public async Task Signing_in_with_an_OpenID_Connect_provider_lands_on_the_page_asked_for_and_a_forged_return_shows_a_sentence()
    {
        var email = $"oidc-{Guid.NewGuid():N}"[..20] + "@example.com";
        app.Oidc.SignInAs("browser-" + Guid.NewGuid().ToString("N")[..8], email, name: "Grace Hopper");
        await using var s = await BrowserSession.OpenAsync(app, nameof(Signing_in_with_an_OpenID_Connect_provider_lands_on_the_page_asked_for_and_a_forged_return_shows_a_sentence));

        await s.GoAsync("/credits");
        await Expect(s.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
        await s.ShotAsync("sign-in with providers");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Continue with Mock ID" }).ClickAsync();
        await Expect(s.Page).ToHaveURLAsync(app.BaseUrl + "/credits");
        await s.ShotAsync("signed in through the provider");

        // The callback replayed with a forged state is refused and explained, not an error page.
        await s.GoAsync("/signin-oidc-mock?code=stolen&state=forged");
        await Expect(s.Page.GetByTestId("external-error")).ToContainTextAsync("could not be verified");
    }

    private Task<List<(string Provider, string Key)>> LoginsAsync(string email) => app.WithScope(async sp =>
    {
        var db = sp.GetRequiredService<KilnDbContext>();
        return (await (from l in db.UserLogins join u in db.Users on l.UserId equals u.Id where u.Email == email select new { l.LoginProvider, l.ProviderKey })
            .ToListAsync()).Select(l => (l.LoginProvider, l.ProviderKey)).ToList();
    });

    [Fact]
    public async Task Google_sign_in_creates_an_account_links_an_existing_one_only_through_a_verified_email_and_explains_a_refusal()
    {
        var test = nameof(Google_sign_in_creates_an_account_links_an_existing_one_only_through_a_verified_email_and_explains_a_refusal);
        var id = Guid.NewGuid().ToString("N")[..8];

        // A new person: Google vouches for the address, the account is created and the page asked for opens.
        var newcomer = $"google-new-{id}@example.com";
        app.Oidc.SignInAs("g-new-" + id, newcomer, name: "Ada Google");
        await using (var s = await BrowserSession.OpenAsync(app, test, "newcomer"))
        {
            await s.GoAsync("/credits");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Continue with Google" }).ClickAsync();
            await Expect(s.Page).ToHaveURLAsync(app.BaseUrl + "/credits");
            await s.ShotAsync("signed in with Google");
        }
        (await LoginsAsync(newcomer)).ShouldBe([("google", "g-new-" + id)]);

        // An existing password account: a verified address links Google to it (no second account).
        var existing = $"google-link-{id}@example.com";
        await app.CreateUserAsync(existing, BrowserSession.Password, isAdmin: false);
        app.Oidc.SignInAs("g-link-" + id, existing);
        await using (var s = await BrowserSession.OpenAsync(app, test, "existing"))
        {
            await s.GoAsync("/signin");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Continue with Google" }).ClickAsync();
            await Expect(s.Page).ToHaveURLAsync(app.BaseUrl + "/dashboard");
        }
        (await LoginsAsync(existing)).ShouldBe([("google", "g-link-" + id)]);
        (await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Users.CountAsync(u => u.Email == existing))).ShouldBe(1);

        // An address Google does not vouch for never takes over the account that has it.
        var victim = $"google-victim-{id}@example.com";
        await app.CreateUserAsync(victim, BrowserSession.Password, isAdmin: false);
        app.Oidc.SignInAs("g-impostor-" + id, victim, emailVerified: false);
        await using (var s = await BrowserSession.OpenAsync(app, test, "impostor"))
        {
            await s.GoAsync("/signin");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Continue with Google" }).ClickAsync();
            await Expect(s.Page.GetByTestId("external-error")).ToContainTextAsync("does not confirm the address is yours");
            await s.ShotAsync("unverified Google address refused");
            await s.GoAsync("/credits");
            await Expect(s.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
        }
        (await LoginsAsync(victim)).ShouldBeEmpty();
    }
}

using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>"Sign in with …" in Chromium: the real redirects to the OpenID Connect issuer (oauth2-mock-server) and back.</summary>
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
}

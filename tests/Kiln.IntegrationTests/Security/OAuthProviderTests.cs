using System.Net;
using System.Web;
using Kiln.Core.Tests.Billing;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Security;

/// <summary>
/// GitHub and Discord sign-in (AddOAuth) against fakes that check Kiln's requests and answer with the providers'
/// documented responses. The account rules are the OIDC tests' (both databases); these check each provider's mapping.
/// </summary>
public sealed class OAuthProviderTests(PostgresServer pg)
{
    /// <summary>Presses the provider's button, then plays the provider: its authorize page sends the browser back with a code.</summary>
    private static async Task<(PageClient Page, HttpResponseMessage Done)> SignInAsync(KilnTestHost host, string provider, string label)
    {
        var page = new PageClient(host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));
        (await (await page.Client.GetAsync("/signin")).Content.ReadAsStringAsync()).ShouldContain("Continue with " + label);
        var challenge = await page.PostFormAsync("/signin", "/signin?handler=External", new() { ["provider"] = provider });
        var q = HttpUtility.ParseQueryString(challenge.Headers.Location!.Query);
        q["code_challenge_method"].ShouldBe("S256");
        var callback = new Uri(q["redirect_uri"]!).AbsolutePath + $"?code=the-code&state={Uri.EscapeDataString(q["state"]!)}";
        var done = await page.Client.GetAsync(callback);
        done.Headers.Location!.OriginalString.ShouldStartWith("/signin/external/callback");
        return (page, await page.Client.GetAsync(done.Headers.Location));
    }

    [Fact]
    public async Task GitHub_and_Discord_sign_in_use_the_verified_addresses_they_report()
    {
        await using var github = await FakeProviderServer.StartAsync();
        await using var discord = await FakeProviderServer.StartAsync();
        var email = $"octo-{Guid.NewGuid():N}@example.test";
        github.Respond = (r, _) => r.PathAndQuery switch
        {
            "/login/oauth/access_token" => (200, """{"access_token":"gho_test","token_type":"bearer","scope":"read:user,user:email"}"""),
            "/user" => (200, """{"login":"octocat","id":583231,"name":"The Octocat","email":null}"""),
            "/user/emails" => (200, $$"""[{"email":"old@example.test","primary":false,"verified":true},{"email":"{{email}}","primary":true,"verified":true,"visibility":"private"}]"""),
            _ => (404, "{}"),
        };
        discord.Respond = (r, _) => r.PathAndQuery switch
        {
            "/api/oauth2/token" => (200, """{"access_token":"discord-token","token_type":"Bearer","expires_in":604800,"refresh_token":"r","scope":"identify email"}"""),
            "/api/users/@me" => (200, """{"id":"80351110224678912","username":"nelly","global_name":"Nelly","email":"nelly@example.test","verified":false}"""),
            _ => (404, "{}"),
        };
        string Base(FakeProviderServer s) => s.BaseAddress.ToString().TrimEnd('/');
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Auth:GitHub:ClientId"] = "gh-client",
            ["Kiln:Auth:GitHub:ClientSecret"] = "gh-secret",
            ["Kiln:Auth:GitHub:AuthorizationEndpoint"] = Base(github) + "/login/oauth/authorize",
            ["Kiln:Auth:GitHub:TokenEndpoint"] = Base(github) + "/login/oauth/access_token",
            ["Kiln:Auth:GitHub:UserInformationEndpoint"] = Base(github) + "/user",
            ["Kiln:Auth:Discord:ClientId"] = "dc-client",
            ["Kiln:Auth:Discord:ClientSecret"] = "dc-secret",
            ["Kiln:Auth:Discord:AuthorizationEndpoint"] = Base(discord) + "/oauth2/authorize",
            ["Kiln:Auth:Discord:TokenEndpoint"] = Base(discord) + "/api/oauth2/token",
            ["Kiln:Auth:Discord:UserInformationEndpoint"] = Base(discord) + "/api/users/@me",
        });

        var (_, signedIn) = await SignInAsync(host, "github", "GitHub");
        signedIn.Headers.Location!.OriginalString.ShouldBe("/dashboard");
        var token = github.Requests.Single(r => r.PathAndQuery == "/login/oauth/access_token");
        token.Method.ShouldBe("POST");
        token.Form()["code"].ShouldBe("the-code");
        token.Form()["code_verifier"].ShouldNotBeNullOrEmpty();
        token.Form()["grant_type"].ShouldBe("authorization_code");
        github.Requests.Where(r => r.PathAndQuery.StartsWith("/user", StringComparison.Ordinal)).ShouldAllBe(r => r.Header("Authorization") == "Bearer gho_test");
        await using (var db = host.NewDbContext())
        {
            var user = await db.Users.SingleAsync(u => u.Email == email);
            user.DisplayName.ShouldBe("The Octocat");
            (await db.UserLogins.SingleAsync(l => l.UserId == user.Id)).ShouldSatisfyAllConditions(
                l => l.LoginProvider.ShouldBe("github"), l => l.ProviderKey.ShouldBe("583231"));
        }

        // Discord says this address is not verified: a new account is fine, but an existing one with it is never taken over.
        var existing = await host.SignUpAsync("nelly@example.test");
        var (_, refused) = await SignInAsync(host, "discord", "Discord");
        refused.Headers.Location!.OriginalString.ShouldBe("/signin?error=external_email_unverified");
        discord.Requests.Single(r => r.PathAndQuery == "/api/users/@me").Header("Authorization").ShouldBe("Bearer discord-token");
        await using (var db = host.NewDbContext())
            (await db.UserLogins.AnyAsync(l => l.UserId == existing.UserId)).ShouldBeFalse();
    }
}

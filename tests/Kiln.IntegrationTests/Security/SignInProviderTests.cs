using System.Net;
using System.Web;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Security;

/// <summary>
/// "Sign in with …" through a real OpenID Connect issuer (oauth2-mock-server), followed hop by hop: Kiln's challenge,
/// the issuer's authorize redirect, Kiln's callback, the account. The browser journey is in the browser tests.
/// </summary>
public sealed class SignInProviderTests(PostgresServer pg)
{
    private static readonly HttpClient Outside = new(new HttpClientHandler { AllowAutoRedirect = false });

    private sealed record Flow(PageClient Page, Uri Authorize);

    /// <summary>Presses the provider's button on the sign-in page; returns the issuer's authorize URL Kiln redirected to.</summary>
    private static async Task<Flow> StartAsync(KilnTestHost host)
    {
        var page = new PageClient(host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));
        (await (await page.Client.GetAsync("/signin")).Content.ReadAsStringAsync()).ShouldContain("Continue with Mock ID");
        var r = await page.PostFormAsync("/signin", "/signin?handler=External", new() { ["provider"] = "oidc-mock", ["ReturnUrl"] = "/credits" });
        r.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var authorize = r.Headers.Location!;
        var q = HttpUtility.ParseQueryString(authorize.Query);
        q["code_challenge_method"].ShouldBe("S256");
        q["state"].ShouldNotBeNullOrEmpty();
        q["nonce"].ShouldNotBeNullOrEmpty();
        return new Flow(page, authorize);
    }

    /// <summary>What the issuer sends the browser back to (Kiln's callback with code and state), as a local path.</summary>
    private static async Task<string> AuthorizeAsync(Uri authorize)
    {
        var r = await Outside.GetAsync(authorize);
        r.StatusCode.ShouldBe(HttpStatusCode.Found);
        return r.Headers.Location!.PathAndQuery;
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Signing_in_through_an_OpenID_Connect_issuer_creates_an_account_once_and_signs_it_in(string provider)
    {
        await using var issuer = await OidcMockServer.StartAsync();
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, issuer.Settings());
        var email = $"oidc-{Guid.NewGuid():N}@example.test";
        issuer.SignInAs("kc-123", email, name: "Ada Lovelace");

        for (var round = 0; round < 2; round++)
        {
            var flow = await StartAsync(host);
            var callback = await AuthorizeAsync(flow.Authorize);
            callback.ShouldStartWith("/signin-oidc-mock?");
            var done = await flow.Page.Client.GetAsync(callback);
            done.StatusCode.ShouldBe(HttpStatusCode.Redirect, issuer.Log);
            done.Headers.Location!.OriginalString.ShouldStartWith("/signin/external/callback");
            var signedIn = await flow.Page.Client.GetAsync(done.Headers.Location);
            signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            signedIn.Headers.Location!.OriginalString.ShouldBe("/credits");
            (await flow.Page.Client.GetAsync("/credits")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await using var db = host.NewDbContext();
        var user = await db.Users.SingleAsync(u => u.Email == email);
        user.EmailConfirmed.ShouldBeTrue();
        user.DisplayName.ShouldBe("Ada Lovelace");
        (await db.UserLogins.SingleAsync(l => l.UserId == user.Id)).ProviderKey.ShouldBe("kc-123");
        (await db.AuditEvents.CountAsync(e => e.ActorUserId == user.Id && e.Action == "auth.sign_in")).ShouldBe(2);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_forged_state_a_replayed_callback_a_code_from_another_PKCE_challenge_or_an_unverified_email_end_on_the_sign_in_page_with_a_sentence(string provider)
    {
        await using var issuer = await OidcMockServer.StartAsync();
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, issuer.Settings());
        var email = $"oidc-{Guid.NewGuid():N}@example.test";
        issuer.SignInAs("kc-evil", email);

        // A forged state.
        var flow = await StartAsync(host);
        var forged = await flow.Page.Client.GetAsync("/signin-oidc-mock?code=abc&state=forged");
        forged.Headers.Location!.OriginalString.ShouldBe("/signin?error=external_state");

        // The real callback replayed in another browser (no correlation cookie): login CSRF.
        var callback = await AuthorizeAsync(flow.Authorize);
        var elsewhere = new PageClient(host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }));
        (await elsewhere.Client.GetAsync(callback)).Headers.Location!.OriginalString.ShouldBe("/signin?error=external_state");

        // Code injection: a code issued for someone else's PKCE challenge, delivered with this browser's valid state.
        flow = await StartAsync(host);
        var q = HttpUtility.ParseQueryString(flow.Authorize.Query);
        q["code_challenge"] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636's example, not ours
        var injected = await AuthorizeAsync(new UriBuilder(flow.Authorize) { Query = q.ToString() }.Uri);
        var refused = await flow.Page.Client.GetAsync(injected);
        refused.Headers.Location!.OriginalString.ShouldBe("/signin?error=external_failed");

        var page = await (await flow.Page.Client.GetAsync("/signin?error=external_state")).Content.ReadAsStringAsync();
        page.ShouldContain("That sign-in could not be verified");
        await using (var db = host.NewDbContext())
            (await db.Users.AnyAsync(u => u.Email == email)).ShouldBeFalse();

        // An issuer that does not vouch for the address never takes over the account that has it.
        var victim = await host.SignUpAsync();
        issuer.SignInAs("kc-impostor", victim.Email, emailVerified: false);
        flow = await StartAsync(host);
        var done = await flow.Page.Client.GetAsync(await AuthorizeAsync(flow.Authorize));
        (await flow.Page.Client.GetAsync(done.Headers.Location)).Headers.Location!.OriginalString.ShouldBe("/signin?error=external_email_unverified");
        (await flow.Page.Client.GetAsync("/credits")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await using (var db = host.NewDbContext())
            (await db.UserLogins.AnyAsync(l => l.UserId == victim.UserId)).ShouldBeFalse();
    }
}

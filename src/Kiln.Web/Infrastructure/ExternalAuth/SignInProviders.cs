using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;

namespace Kiln.Web.Infrastructure.ExternalAuth;

/// <summary>
/// The "Sign in with …" providers. Each signs into Identity's external cookie; <c>/signin/external/callback</c> then turns
/// the ticket (normalized to <see cref="ExternalClaims"/>) into a Kiln account and the usual sign-in cookie. A failed
/// round trip (bad state, a code that does not match its PKCE verifier, the person cancelling) comes back to the
/// sign-in page with a sentence, never an exception page.
/// </summary>
public static class SignInProviders
{
    public const string GitHub = "github";
    public const string Discord = "discord";
    public const string Google = "google";
    public const string OidcPrefix = "oidc-";

    /// <summary>Is this authentication scheme one of the "Sign in with …" providers (and not the cookie, bearer or JWT schemes)?</summary>
    public static bool IsProvider(string scheme) => scheme.StartsWith(OidcPrefix, StringComparison.Ordinal) || scheme is GitHub or Discord or Google;

    /// <summary>
    /// The provider button posts a form whose answer redirects to the provider's authorize page; browsers check that
    /// redirect against the CSP's form-action, so each configured provider's origin is listed there (with a leading space).
    /// </summary>
    public static string FormActionSources(IConfiguration config)
    {
        var origins = new List<string?>();
        foreach (var section in config.GetSection(OidcProviderOptions.Section).GetChildren())
            origins.Add(Origin(section.Get<OidcProviderOptions>()?.Authority));
        foreach (var (name, fallback) in new[] { ("GitHub", "https://github.com"), ("Discord", "https://discord.com"), ("Google", "https://accounts.google.com") })
        {
            var o = config.GetSection("Kiln:Auth:" + name).Get<OAuthProviderOptions>();
            if (o?.Configured == true) origins.Add(Origin(o.AuthorizationEndpoint) ?? fallback);
        }
        return string.Concat(origins.OfType<string>().Distinct().Select(o => " " + o));
    }

    private static string? Origin(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.GetLeftPart(UriPartial.Authority) : null;

    public static AuthenticationBuilder AddKilnSignInProviders(this AuthenticationBuilder auth, IConfiguration config)
    {
        foreach (var section in config.GetSection(OidcProviderOptions.Section).GetChildren())
        {
            var o = section.Get<OidcProviderOptions>() ?? new();
            if (string.IsNullOrWhiteSpace(o.Authority) || string.IsNullOrWhiteSpace(o.ClientId))
                throw new InvalidOperationException($"{OidcProviderOptions.Section}:{section.Key} needs Authority and ClientId.");
            var key = section.Key.ToLowerInvariant();
            auth.AddOpenIdConnect(OidcPrefix + key, o.DisplayName ?? section.Key, x =>
            {
                x.SignInScheme = IdentityConstants.ExternalScheme;
                x.Authority = o.Authority;
                x.ClientId = o.ClientId;
                x.ClientSecret = o.ClientSecret;
                x.CallbackPath = $"/signin-oidc-{key}";
                x.ResponseType = "code";
                // The code comes back in the query of a top-level GET, so Lax cookies (correlation, nonce) travel with it;
                // form_post would need SameSite=None cookies, which browsers refuse over plain HTTP.
                x.ResponseMode = "query";
                // Secure whenever the request is HTTPS (behind a proxy: with forwarded headers), so a plain-HTTP embedded install works too.
                LaxCookies(x);
                x.NonceCookie.SameSite = SameSiteMode.Lax;
                x.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                x.UsePkce = true;
                x.RequireHttpsMetadata = o.RequireHttpsMetadata;
                x.MapInboundClaims = false;
                x.GetClaimsFromUserInfoEndpoint = o.GetClaimsFromUserInfoEndpoint;
                x.SaveTokens = false;
                x.Scope.Clear();
                x.Scope.Add("openid");
                foreach (var s in o.Scopes is { Length: > 0 } scopes ? scopes : ["email", "profile"]) x.Scope.Add(s);
                x.ClaimActions.MapUniqueJsonKey(ExternalClaims.EmailVerified, ExternalClaims.EmailVerified);
                if (o.EmailsAreVerified) x.Events.OnTokenValidated = ctx => { MarkVerified(ctx.Principal); return Task.CompletedTask; };
                x.Events.OnRemoteFailure = ExternalSignInFailure.RedirectAsync;
                x.Events.OnAccessDenied = ExternalSignInFailure.DeniedAsync;
            });
        }

        var github = config.GetSection("Kiln:Auth:GitHub").Get<OAuthProviderOptions>() ?? new();
        if (github.Configured)
            auth.AddOAuth(GitHub, "GitHub", x =>
            {
                Common(x, github, "/signin-github");
                x.AuthorizationEndpoint = github.AuthorizationEndpoint ?? "https://github.com/login/oauth/authorize";
                x.TokenEndpoint = github.TokenEndpoint ?? "https://github.com/login/oauth/access_token";
                x.UserInformationEndpoint = github.UserInformationEndpoint ?? "https://api.github.com/user";
                x.Scope.Add("read:user");
                x.Scope.Add("user:email");
                x.ClaimActions.MapJsonKey(ExternalClaims.Subject, "id");
                x.ClaimActions.MapJsonKey(ExternalClaims.Name, "name");
                x.Events.OnCreatingTicket = async ctx =>
                {
                    using var user = await GetJsonAsync(ctx, ctx.Options.UserInformationEndpoint);
                    ctx.RunClaimActions(user.RootElement);
                    // The profile's public email may be unverified or absent; /user/emails says which address is primary and verified.
                    using var emails = await GetJsonAsync(ctx, ctx.Options.UserInformationEndpoint.TrimEnd('/') + "/emails");
                    var primary = emails.RootElement.EnumerateArray().FirstOrDefault(e => e.TryGetProperty("primary", out var p) && p.GetBoolean());
                    if (primary.ValueKind == JsonValueKind.Object)
                    {
                        ctx.Identity!.AddClaim(new Claim(ExternalClaims.Email, primary.GetProperty("email").GetString() ?? ""));
                        ctx.Identity.AddClaim(new Claim(ExternalClaims.EmailVerified, primary.TryGetProperty("verified", out var v) && v.GetBoolean() ? "true" : "false"));
                    }
                };
            });

        var discord = config.GetSection("Kiln:Auth:Discord").Get<OAuthProviderOptions>() ?? new();
        if (discord.Configured)
            auth.AddOAuth(Discord, "Discord", x =>
            {
                Common(x, discord, "/signin-discord");
                x.AuthorizationEndpoint = discord.AuthorizationEndpoint ?? "https://discord.com/oauth2/authorize";
                x.TokenEndpoint = discord.TokenEndpoint ?? "https://discord.com/api/oauth2/token";
                x.UserInformationEndpoint = discord.UserInformationEndpoint ?? "https://discord.com/api/users/@me";
                x.Scope.Add("identify");
                x.Scope.Add("email");
                x.ClaimActions.MapJsonKey(ExternalClaims.Subject, "id");
                x.ClaimActions.MapJsonKey(ExternalClaims.Email, "email");
                x.ClaimActions.MapJsonKey(ExternalClaims.EmailVerified, "verified");
                x.ClaimActions.MapJsonKey(ExternalClaims.Name, "global_name");
                x.Events.OnCreatingTicket = async ctx =>
                {
                    using var user = await GetJsonAsync(ctx, ctx.Options.UserInformationEndpoint);
                    ctx.RunClaimActions(user.RootElement);
                };
            });

        var google = config.GetSection("Kiln:Auth:Google").Get<OAuthProviderOptions>() ?? new();
        if (google.Configured)
            auth.AddGoogle(Google, "Google", x =>
            {
                x.SignInScheme = IdentityConstants.ExternalScheme;
                x.ClientId = google.ClientId!;
                x.ClientSecret = google.ClientSecret!;
                x.CallbackPath = "/signin-google";
                LaxCookies(x);
                if (google.AuthorizationEndpoint is { } a) x.AuthorizationEndpoint = a;
                if (google.TokenEndpoint is { } t) x.TokenEndpoint = t;
                if (google.UserInformationEndpoint is { } u) x.UserInformationEndpoint = u;
                x.ClaimActions.MapJsonKey(ExternalClaims.Subject, "sub");
                x.ClaimActions.MapJsonKey(ExternalClaims.Email, "email");
                x.ClaimActions.MapJsonKey(ExternalClaims.EmailVerified, "email_verified");
                x.Events.OnRemoteFailure = ExternalSignInFailure.RedirectAsync;
                x.Events.OnAccessDenied = ExternalSignInFailure.DeniedAsync;
            });
        return auth;
    }

    private static void Common(OAuthOptions x, OAuthProviderOptions o, string callback)
    {
        x.SignInScheme = IdentityConstants.ExternalScheme;
        x.ClientId = o.ClientId!;
        x.ClientSecret = o.ClientSecret!;
        x.CallbackPath = callback;
        x.UsePkce = true;
        x.SaveTokens = false;
        LaxCookies(x);
        x.Events.OnRemoteFailure = ExternalSignInFailure.RedirectAsync;
        x.Events.OnAccessDenied = ExternalSignInFailure.DeniedAsync;
    }

    /// <summary>Callbacks are top-level GETs with the code in the query: Lax cookies travel with them, over HTTP too.</summary>
    private static void LaxCookies(RemoteAuthenticationOptions x)
    {
        x.CorrelationCookie.SameSite = SameSiteMode.Lax;
        x.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
    }

    private static async Task<JsonDocument> GetJsonAsync(OAuthCreatingTicketContext ctx, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ctx.AccessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.UserAgent.ParseAdd("Kiln");
        using var response = await ctx.Backchannel.SendAsync(request, ctx.HttpContext.RequestAborted);
        response.EnsureSuccessStatusCode();
        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ctx.HttpContext.RequestAborted), cancellationToken: ctx.HttpContext.RequestAborted);
    }

    private static void MarkVerified(ClaimsPrincipal? principal)
    {
        if (principal?.Identity is not ClaimsIdentity id) return;
        foreach (var c in id.FindAll(ExternalClaims.EmailVerified).ToList()) id.RemoveClaim(c);
        id.AddClaim(new Claim(ExternalClaims.EmailVerified, "true"));
    }
}

/// <summary>A provider round trip that failed comes back to the sign-in page with a stable code the page turns into a sentence.</summary>
public static class ExternalSignInFailure
{
    public const string State = "external_state";
    public const string Failed = "external_failed";
    public const string Denied = "external_denied";

    public static Task RedirectAsync(RemoteFailureContext ctx)
    {
        var message = ctx.Failure?.Message ?? "";
        // The correlation cookie and the state protect against forged callbacks (login CSRF); a mismatch is one of those or a stale tab.
        var code = message.Contains("state", StringComparison.OrdinalIgnoreCase) || message.Contains("Correlation", StringComparison.OrdinalIgnoreCase) ? State : Failed;
        ctx.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExternalSignInFailure))
            .LogWarning(ctx.Failure, "Sign-in through {Scheme} failed ({Code})", ctx.Scheme.Name, code);
        ctx.Response.Redirect("/signin?error=" + code);
        ctx.HandleResponse();
        return Task.CompletedTask;
    }

    public static Task DeniedAsync(AccessDeniedContext ctx)
    {
        ctx.Response.Redirect("/signin?error=" + Denied);
        ctx.HandleResponse();
        return Task.CompletedTask;
    }

    public static string? Sentence(string? code) => code switch
    {
        State => "That sign-in could not be verified: it was started in another window, took too long, or was tampered with. Start again.",
        Failed => "The provider did not complete the sign-in. Try again, or sign in with your email and password.",
        Denied => "You cancelled the sign-in at the provider.",
        "external_email_required" => "The provider did not share your email address, which Kiln needs the first time. Allow access to your email and try again.",
        "external_email_unverified" => "An account with this email already exists, and the provider does not confirm the address is yours. Sign in with your password instead.",
        "account_locked" => "This account is locked by the operators of this installation.",
        "signup_closed" => "Sign-up is closed on this installation; ask an operator for an account first.",
        _ => null,
    };
}

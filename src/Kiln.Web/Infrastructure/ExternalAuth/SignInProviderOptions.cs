namespace Kiln.Web.Infrastructure.ExternalAuth;

/// <summary>
/// Any OpenID Connect issuer (Keycloak, Auth0, Azure AD / Entra ID, Okta, Authentik …), bound from
/// <c>Kiln:Auth:Oidc:{name}</c>. Sign-in uses the authorization code flow with PKCE, state and nonce; the callback is
/// <c>/signin-oidc-{name}</c> (register that redirect URI at the issuer).
/// </summary>
public sealed class OidcProviderOptions
{
    public const string Section = "Kiln:Auth:Oidc";

    /// <summary>The issuer URL; its <c>/.well-known/openid-configuration</c> describes the rest.</summary>
    public string Authority { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string? ClientSecret { get; set; }
    /// <summary>The button's label ("Sign in with …"); the configuration name if empty.</summary>
    public string? DisplayName { get; set; }
    /// <summary>Scopes besides <c>openid</c>; default <c>email profile</c>.</summary>
    public string[]? Scopes { get; set; }
    /// <summary>Ask the userinfo endpoint for claims the ID token lacks (some issuers put email only there).</summary>
    public bool GetClaimsFromUserInfoEndpoint { get; set; }
    /// <summary>Only for a local test issuer: allow discovery over plain HTTP.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
    /// <summary>Treat every email this issuer states as verified (an issuer that confirms addresses but sends no email_verified claim).</summary>
    public bool EmailsAreVerified { get; set; }
}

/// <summary>
/// GitHub, Discord or Google through their OAuth endpoints, bound from <c>Kiln:Auth:GitHub</c>, <c>Kiln:Auth:Discord</c>,
/// <c>Kiln:Auth:Google</c>. Configured when a client id is set. Callbacks: <c>/signin-github</c>, <c>/signin-discord</c>,
/// <c>/signin-google</c>. The endpoint overrides are for GitHub Enterprise and tests.
/// </summary>
public sealed class OAuthProviderOptions
{
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public string? AuthorizationEndpoint { get; set; }
    public string? TokenEndpoint { get; set; }
    public string? UserInformationEndpoint { get; set; }

    public bool Configured => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret);
}

/// <summary>The claim names every sign-in provider's ticket is normalized to before Kiln reads it.</summary>
public static class ExternalClaims
{
    public const string Subject = "sub";
    public const string Email = "email";
    public const string EmailVerified = "email_verified";
    public const string Name = "name";
}

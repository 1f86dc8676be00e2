using System.Security.Claims;
using System.Text.Encodings.Web;
using Kiln.Core.Accounts;
using Kiln.Core.Accounts.External;
using Kiln.Core.Common;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Web.Infrastructure.ExternalAuth;

/// <summary>
/// API requests bearing a JWT from a configured outside issuer. The token is accepted only after its signature verifies
/// against the issuer's published keys with an allowed algorithm, and its issuer, audience, expiry and not-before hold
/// (within the configured clock skew). Then its subject is the Kiln account (get-or-create,
/// <see cref="SignInExternalCommand"/>), and the request runs as that user — lock, sign-out everywhere and the operator flag
/// apply exactly as to Kiln's own tokens, because the principal is built from the user row.
/// </summary>
public sealed class ExternalJwtHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ExternalIssuers issuers, JwksCache jwks, SignInExternalCommand signInExternal, SignInManager<KilnUser> signIn)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ExternalJwt";
    public const string IssuerClaim = "kiln:issuer";
    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };
    private static readonly Error InvalidToken = Error.Unauthenticated("invalid_token", "The bearer token is invalid, expired, or not from an issuer this installation trusts.");

    /// <summary>A compact JWS: three base64url parts. Kiln's own access tokens, refresh tokens and API keys never contain a dot.</summary>
    public static bool LooksLikeJwt(ReadOnlySpan<char> token) => token.Count('.') == 2;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return AuthenticateResult.NoResult();
        var raw = header["Bearer ".Length..].Trim();
        if (!LooksLikeJwt(raw) || raw.Length > 16_384) return AuthenticateResult.NoResult();

        JsonWebToken unverified;
        try { unverified = Tokens.ReadJsonWebToken(raw); }
        catch (ArgumentException) { return AuthenticateResult.Fail("The bearer token is not a JWT."); }
        if (issuers.Find(unverified.Issuer) is not { } issuer) return AuthenticateResult.Fail("The token's issuer is not configured.");
        var (name, o) = issuer;

        IReadOnlyList<SecurityKey> keys;
        try { keys = await jwks.GetSigningKeysAsync(o, string.IsNullOrEmpty(unverified.Kid) ? null : unverified.Kid, Context.RequestAborted); }
        catch (SecurityTokenSignatureKeyNotFoundException e) { return AuthenticateResult.Fail(e); }

        var result = await Tokens.ValidateTokenAsync(raw, new TokenValidationParameters
        {
            ValidIssuer = o.Issuer,
            ValidAudience = o.Audience,
            IssuerSigningKeys = keys,
            ValidAlgorithms = o.AllowedAlgorithms,
            ClockSkew = TimeSpan.FromSeconds(Math.Clamp(o.ClockSkewSeconds, 0, 300)),
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = false,
        });
        if (!result.IsValid)
        {
            Logger.LogInformation("A JWT from {Issuer} was refused: {Reason}", name, result.Exception?.GetType().Name);
            return AuthenticateResult.Fail(result.Exception ?? new SecurityTokenValidationException("invalid token"));
        }

        var claims = result.ClaimsIdentity;
        var subject = claims.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(subject) || subject.Length > 256) return AuthenticateResult.Fail("The token has no usable subject.");
        var email = claims.FindFirst(o.EmailClaim)?.Value;
        var verified = o.EmailsAreVerified || string.Equals(claims.FindFirst(o.EmailVerifiedClaim)?.Value, "true", StringComparison.OrdinalIgnoreCase);
        var user = await signInExternal.Run(new ExternalIdentity($"jwt:{name}", subject, email, verified, claims.FindFirst(o.NameClaim)?.Value,
            o.DisplayName ?? name), Context.RequestAborted);
        if (user.Error is { } refused)
        {
            Context.Items[typeof(ExternalJwtHandler)] = refused;
            return AuthenticateResult.Fail(refused.Message);
        }

        var principal = await signIn.CreateUserPrincipalAsync(user.Value!);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(IssuerClaim, name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    /// <summary>401 with RFC 6750's <c>WWW-Authenticate</c> and a problem body that says why (a refused account says so).</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var error = Context.Items[typeof(ExternalJwtHandler)] as Error ?? InvalidToken;
        Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        await Problems.From(error with { Kind = ErrorKind.Unauthenticated }).ExecuteAsync(Context);
    }
}

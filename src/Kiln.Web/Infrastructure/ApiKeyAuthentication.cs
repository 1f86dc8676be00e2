using System.Security.Claims;
using System.Text.Encodings.Web;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

/// <summary><c>Authorization: Bearer kiln_…</c> — a workspace API key.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, AuthenticateApiKeyQuery authenticate) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer " + ApiKeyFormat.Scheme, StringComparison.Ordinal)) return AuthenticateResult.NoResult();
        var key = await authenticate.Run(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("Invalid or revoked API key.");
        var identity = new ClaimsIdentity(
        [
            new Claim(KilnClaims.ApiKey, key.Id.ToString()),
            new Claim(KilnClaims.Workspace, key.WorkspaceId.ToString()),
            new Claim(ClaimTypes.Name, key.Name),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

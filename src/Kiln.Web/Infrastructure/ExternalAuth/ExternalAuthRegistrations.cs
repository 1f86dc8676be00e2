using Microsoft.AspNetCore.Authentication;

namespace Kiln.Web.Infrastructure.ExternalAuth;

public static class ExternalAuthRegistrations
{
    /// <summary>External JWT issuers for the API (and, below, the sign-in providers for the UI), from configuration.</summary>
    public static AuthenticationBuilder AddKilnExternalAuth(this AuthenticationBuilder auth, IConfiguration config)
    {
        var services = auth.Services;
        // Built now, so a misconfigured issuer stops the host at startup rather than refusing every token later.
        services.AddSingleton(new ExternalIssuers(config));
        services.AddSingleton<JwksCache>();
        services.AddHttpClient(JwksCache.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        auth.AddScheme<AuthenticationSchemeOptions, ExternalJwtHandler>(ExternalJwtHandler.SchemeName, null);
        auth.AddKilnSignInProviders(config);
        return auth;
    }
}

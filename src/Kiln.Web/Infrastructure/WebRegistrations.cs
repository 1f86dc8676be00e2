using System.Security.Claims;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Kiln.Core;
using Kiln.Core.Accounts;
using Kiln.Core.Data;
using Kiln.Core.Uploads;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Events;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure.ExternalAuth;

namespace Kiln.Web.Infrastructure;

public static class WebRegistrations
{
    /// <summary>Every Core area plus the web concerns: identity, auth schemes, problem details, OpenAPI, metrics.</summary>
    public static WebApplicationBuilder AddKilnWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        services.AddHttpContextAccessor();
        services.AddScoped<Core.Audit.IAuditOrigin, HttpAuditOrigin>();
        services.AddKilnCore(config);
        services.AddLiveEvents(config);
        if (WorkerOptions.From(config).Enabled) services.AddKilnBackgroundWork();

        services.AddKilnIdentity()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<KilnClaimsFactory>();
        var authOptions = config.GetSection(Core.Accounts.Sessions.AuthOptions.Section).Get<Core.Accounts.Sessions.AuthOptions>() ?? new();
        services.Configure<SecurityStampValidatorOptions>(o => o.OnRefreshingPrincipal = BrowserSessions.KeepSession);
        services.AddAuthentication(KilnPolicies.Scheme)
            .AddPolicyScheme(KilnPolicies.Scheme, "Cookie, bearer token or API key", o => o.ForwardDefaultSelector = http =>
            {
                var header = http.Request.Headers.Authorization.ToString();
                if (header.StartsWith("Bearer " + ApiKeyFormat.Scheme, StringComparison.Ordinal)) return ApiKeyAuthenticationHandler.SchemeName;
                if (header.StartsWith("Bearer ", StringComparison.Ordinal) && ExternalAuth.ExternalJwtHandler.LooksLikeJwt(header.AsSpan(7))) return ExternalAuth.ExternalJwtHandler.SchemeName;
                if (header.StartsWith("Bearer ", StringComparison.Ordinal)) return IdentityConstants.BearerScheme;
                return IdentityConstants.ApplicationScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddBearerToken(IdentityConstants.BearerScheme, o => o.BearerTokenExpiration = authOptions.AccessTokenLifetime)
            .AddCookie(IdentityConstants.ApplicationScheme, o =>
            {
                o.LoginPath = "/signin";
                o.LogoutPath = "/signout";
                o.AccessDeniedPath = "/signin";
                o.Cookie.Name = "kiln.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = ctx => ApiAware(ctx, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = ctx => ApiAware(ctx, StatusCodes.Status403Forbidden);
                o.ExpireTimeSpan = authOptions.BrowserSessionLifetime;
                o.Events.OnSigningIn = BrowserSessions.OnSigningIn;
                o.Events.OnValidatePrincipal = BrowserSessions.OnValidatePrincipal;
                o.Events.OnSigningOut = BrowserSessions.OnSigningOut;
            })
            .AddCookie(IdentityConstants.ExternalScheme)
            .AddCookie(IdentityConstants.TwoFactorUserIdScheme)
            .AddKilnExternalAuth(config);
        services.AddAuthorizationBuilder()
            // The operator flag of the user row, read by TenantMiddleware on this request — not the token's claim,
            // which would outlive a demotion for the token's lifetime. API keys never operate.
            .AddPolicy(KilnPolicies.Admin, p => p.RequireAuthenticatedUser().RequireAssertion(ctx =>
                ctx.Resource is HttpContext http && http.RequestServices.GetRequiredService<CurrentUser>().Caller.IsOperator));

        services.AddScoped<CurrentUser>();
        services.Configure<RateLimitOptions>(config.GetSection(RateLimitOptions.Section));
        services.AddScoped<AbuseLimits>();
        services.AddScoped<Api.PasswordResetRequests>();
        services.AddScoped<BearerTokens>();
        services.AddScoped<Queries.AdminQueries>();
        services.AddKilnWebTelemetry(config);
        services.AddKilnHttpEdge(config);
        services.AddKilnDataProtectionKeyCheck();
        // Plaintext webhook secrets from before encryption at rest are encrypted once at startup (after the migrations).
        services.AddSingleton<Core.Webhooks.WebhookSecretEncryption>();
        services.AddHostedService(sp => sp.GetRequiredService<Core.Webhooks.WebhookSecretEncryption>());
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.TraceId.ToString() ?? ctx.HttpContext.TraceIdentifier);
            // An error that says when to try again (Error.Extensions["retryAfterSeconds"]) gets the Retry-After header too.
            if (ctx.ProblemDetails.Extensions.TryGetValue("retryAfterSeconds", out var retry) && retry is int seconds && !ctx.HttpContext.Response.HasStarted)
                ctx.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (ctx.Exception is BadHttpRequestException || (ctx.ProblemDetails.Status == 400 && !ctx.ProblemDetails.Extensions.ContainsKey("code") && ctx.HttpContext.Request.HasJsonContentType()))
            {
                ctx.ProblemDetails.Title = "The request could not be read: send a JSON body with the documented fields and types.";
                ctx.ProblemDetails.Extensions["code"] = "invalid_request_body";
            }
            if (!ctx.ProblemDetails.Extensions.ContainsKey("code"))
                ctx.ProblemDetails.Extensions["code"] = ctx.ProblemDetails.Status switch
                {
                    400 => "bad_request", 401 => "unauthorized", 403 => "forbidden", 404 => "not_found", 405 => "method_not_allowed",
                    413 => "payload_too_large", 415 => "unsupported_media_type", 429 => "rate_limited", _ => "internal_error",
                };
        });
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(EnumNames.Policy));
        });
        services.AddOpenApi();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<StorageHealthCheck>("storage", tags: ["ready"])
            .AddCheck<WorkersHealthCheck>("workers", tags: ["ready"]);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (ctx, ct) =>
            {
                if (ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                    ctx.HttpContext.Response.Headers.RetryAfter = ((int)retry.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problems.From(new Core.Common.Error("rate_limited", "Too many requests; slow down and retry after the Retry-After delay.", ErrorKind.TooManyRequests))
                    .ExecuteAsync(ctx.HttpContext);
            };
            var permits = RateLimitOptions.From(config).PermitsPerMinute;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var key = http.User.FindFirstValue(KilnClaims.Workspace) ?? http.User.FindFirstValue(ClaimTypes.NameIdentifier);
                return key is null
                    ? RateLimitPartition.GetNoLimiter("anonymous")
                    : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = permits, TokensPerPeriod = permits, ReplenishmentPeriod = TimeSpan.FromMinutes(1), QueueLimit = 0,
                    });
            });
        });
        return builder;
    }


    private static Task ApiAware(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            ctx.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        // The handler builds an absolute URL from the request's Host header; a relative one means a forged Host can never
        // turn the sign-in redirect into a redirect to another site.
        var target = Uri.TryCreate(ctx.RedirectUri, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : ctx.RedirectUri;
        ctx.Response.Redirect(target);
        return Task.CompletedTask;
    }
}

/// <summary>Adds the operator flag to cookie and bearer principals so the admin policy can see it.</summary>
public sealed class KilnClaimsFactory(UserManager<KilnUser> users, RoleManager<IdentityRole<Guid>> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<KilnUser, IdentityRole<Guid>>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(KilnUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.IsAdmin) identity.AddClaim(new Claim(KilnClaims.Admin, "true"));
        return identity;
    }
}

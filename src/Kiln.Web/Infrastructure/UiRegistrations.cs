using Kiln.Core.Billing;
using Kiln.Core.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

/// <summary>The browser app: Razor Pages, antiforgery, static files and the security headers that go with them.</summary>
public static class UiRegistrations
{
    public static WebApplicationBuilder AddKilnUi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRazorPages(o =>
        {
            // Everything but the public pages needs a signed-in user; the cookie handler redirects to /signin.
            o.Conventions.AuthorizeFolder("/Dashboard");
            o.Conventions.AuthorizeFolder("/Jobs");
            o.Conventions.AuthorizeFolder("/Credits");
            o.Conventions.AuthorizeFolder("/Workspace");
            o.Conventions.AuthorizeFolder("/Admin");
            o.Conventions.AddFolderApplicationModelConvention("/Admin", page => page.Filters.Add(new OperatorsOnly()));
            o.Conventions.AuthorizeFolder("/Billing");
            o.Conventions.AuthorizeFolder("/Shows");
        });
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CookieAntiforgeryFilter.HeaderName;
            o.Cookie.Name = "kiln.af";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddSingleton(sp => new ContentSecurityPolicy(
            ConnectSources(sp.GetRequiredService<IBlobStore>()), FormTargets(sp.GetRequiredService<IOptions<BillingOptions>>().Value)
                + ExternalAuth.SignInProviders.FormActionSources(builder.Configuration),
            MediaSources(sp.GetRequiredService<IBlobStore>())));
        services.AddScoped<Queries.UsageQueries>();
        services.AddScoped<Queries.BillingAdminQueries>();
        return builder;
    }

    /// <summary>
    /// Security headers and static assets; call before <c>UseKilnPipeline</c>, so CSS and scripts are served without
    /// authentication or a tenant lookup.
    /// </summary>
    public static WebApplication UseKilnAssets(this WebApplication app)
    {
        var csp = app.Services.GetRequiredService<ContentSecurityPolicy>();
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var h = http.Response.Headers;
                // Endpoints that serve user content set their own stricter policy (sandbox); keep it. Swagger UI needs inline code.
                if (!h.ContainsKey("Content-Security-Policy") && !http.Request.Path.StartsWithSegments("/docs")) h.ContentSecurityPolicy = csp.Value;
                h.XContentTypeOptions = "nosniff";
                h["Referrer-Policy"] = "same-origin";
                h.XFrameOptions = "DENY";
                // The recording page alone allows the microphone (it sets its own policy before the response starts).
                if (!h.ContainsKey("Permissions-Policy")) h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=300",
        });
        return app;
    }

    /// <summary>Call after <c>UseKilnPipeline</c>, so pages see the resolved tenant.</summary>
    public static WebApplication UseKilnUi(this WebApplication app)
    {
        app.MapRazorPages();
        // Unknown browser URLs get the product's 404 page; API and blob paths keep their problem-details answers.
        app.MapFallbackToPage("{**path:nonfile:regex(^(?!(api|blobs|openapi|docs|health|metrics|webhooks)(/|$)).*$)}", "/NotFound");
        return app;
    }

    /// <summary>form-action also governs where a form's redirect may go, so the checkout page of the payment provider must be listed.</summary>
    private static string FormTargets(BillingOptions billing) =>
        billing.Provider switch
        {
            "stripe" => "'self' https://checkout.stripe.com https://billing.stripe.com",
            "mollie" => "'self' https://www.mollie.com https://my.mollie.com",
            "paddle" => "'self' https://*.paddle.com",
            _ => "'self'",
        };

    /// <summary>
    /// On S3 the episode pages' players and artwork use the bucket's presigned links (the public /media routes redirect
    /// there too), so media-src and img-src must allow the origin those links carry — the store's public origin, read
    /// from a link it signs, so it is right whichever endpoint it presigns for (`PublicServiceUrl` or not). The local
    /// store serves through Kiln's own /blobs route: 'self' covers it.
    /// </summary>
    private static string MediaSources(IBlobStore store) => store.PublicOrigin is { } origin ? " " + origin : "";

    /// <summary>Browsers PUT upload parts straight to S3 when it is the store, so its public origin is allowed too.</summary>
    private static string ConnectSources(IBlobStore store) => "'self'" + MediaSources(store);
}

/// <param name="mediaSources">Origins (space-separated, each with a leading space) that audio, video and images may
/// also load from: the object store's when players and artwork link to it.</param>
public sealed class ContentSecurityPolicy(string connectSources, string formTargets, string mediaSources = "")
{
    public string Value { get; } =
        $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{mediaSources}; media-src 'self' blob:{mediaSources}; connect-src {connectSources}; frame-ancestors 'none'; form-action {formTargets}; base-uri 'self'; object-src 'none'";
}

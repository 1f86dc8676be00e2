using Kiln.Core.Data;
using Kiln.Web.Api;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

public static class WebPipeline
{
    public static async Task MigrateIfConfiguredAsync(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup) return;
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<KilnDbContext>().Database.MigrateAsync();
    }

    public static WebApplication UseKilnPipeline(this WebApplication app)
    {
        HttpEdge.WarnAboutOpenHosts(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(UnsupportedMediaType);
        app.UseAuthentication();
        app.UseMiddleware<TenantMiddleware>();
        app.UseMiddleware<TwoFactorPolicy>();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// A JSON endpoint sent another Content-Type is not routed at all (the 415 candidate loses to the UI's catch-all
    /// route, whose constraint then rejects /api paths), so it used to answer 404. Say what is wrong: 415.
    /// </summary>
    private static Task UnsupportedMediaType(HttpContext http, Func<Task> next)
    {
        var r = http.Request;
        if (http.GetEndpoint() is null && r.Path.StartsWithSegments("/api")
            && (HttpMethods.IsPost(r.Method) || HttpMethods.IsPut(r.Method) || HttpMethods.IsPatch(r.Method))
            && (r.ContentLength > 0 || r.Headers.TransferEncoding.Count > 0) && !r.HasJsonContentType())
            return Problems.From(Core.Common.Error.UnsupportedType("unsupported_media_type", "Send the body as JSON with Content-Type: application/json."))
                .ExecuteAsync(http);
        return next();
    }

    public static WebApplication MapKilnEndpoints(this WebApplication app)
    {
        var anonymous = app.MapGroup("/api");
        anonymous.MapAuthApi();
        anonymous.MapAccountEmailAuthApi();
        anonymous.MapBillingCatalogApi();

        // Every authenticated endpoint can answer 401 (no or a bad credential) and 403 (no workspace, a role the use
        // case refuses, a failed antiforgery check), all as problem details: say so once, for the OpenAPI document.
        var api = app.MapGroup("/api").RequireAuthorization()
            .AddEndpointFilter<CookieAntiforgeryFilter>()
            .AddEndpointFilter<WorkspaceRequired>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapAccountsApi();
        api.MapAccountSettingsApi();
        api.MapWorkspaceApi();
        api.MapTeamsApi();
        api.MapPrivacyApi();
        api.MapAccountPrivacyApi();
        api.MapCreditsApi();
        api.MapJobsApi();
        api.MapEventsApi();
        api.MapUploadsApi();
        api.MapPipelinesApi();
        api.MapAdminApi();
        api.MapBillingApi();
        api.MapWebhooksApi();
        api.MapNotesApi();
        api.MapShowsApi();
        api.MapRecordingsApi();
        api.MapAuditApi();
        api.MapGroup("/admin").RequireAuthorization(KilnPolicies.Admin).MapBillingAdminApi();

        app.MapBlobEndpoints();
        app.MapSingleUseLinks();
        app.MapPaymentWebhooks();
        app.MapPodcastFeeds();
        app.MapOpenApi("/openapi/{documentName}.json");
        // Only for /docs: Swagger UI's middleware matches two regular expressions (built from strings) against every GET
        // and runs its own static-file middleware, which every API read paid for.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/docs"), docs => docs.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.SwaggerEndpoint("/openapi/v1.json", "Kiln API v1");
        }));
        app.MapKilnMetrics();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }
}

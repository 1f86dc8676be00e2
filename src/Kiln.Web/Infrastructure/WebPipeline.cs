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
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseMiddleware<TenantMiddleware>();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    public static WebApplication MapKilnEndpoints(this WebApplication app)
    {
        var anonymous = app.MapGroup("/api");
        anonymous.MapAuthApi();
        anonymous.MapBillingCatalogApi();

        // Every authenticated endpoint can answer 401 (no or a bad credential) and 403 (no workspace, a role the use
        // case refuses, a failed antiforgery check), all as problem details: say so once, for the OpenAPI document.
        var api = app.MapGroup("/api").RequireAuthorization()
            .AddEndpointFilter<CookieAntiforgeryFilter>()
            .AddEndpointFilter<WorkspaceRequired>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapAccountsApi();
        api.MapWorkspaceApi();
        api.MapCreditsApi();
        api.MapJobsApi();
        api.MapUploadsApi();
        api.MapPipelinesApi();
        api.MapAdminApi();
        api.MapBillingApi();
        api.MapWebhooksApi();
        api.MapShowsApi();
        api.MapGroup("/admin").RequireAuthorization(KilnPolicies.Admin).MapBillingAdminApi();

        app.MapBlobEndpoints();
        app.MapPaymentWebhooks();
        app.MapPodcastFeeds();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.RoutePrefix = "docs";
            o.SwaggerEndpoint("/openapi/v1.json", "Kiln API v1");
        });
        app.MapKilnMetrics();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }
}

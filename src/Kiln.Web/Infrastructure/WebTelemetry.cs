using Kiln.Core.Common;
using Kiln.Core.Jobs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// The web host's OpenTelemetry: the shared setup (<see cref="KilnTelemetry"/>) plus ASP.NET Core instrumentation, the
/// database-read job gauges and the Prometheus exporter behind <c>/metrics</c>.
/// </summary>
public static class WebTelemetry
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddKilnWebTelemetry(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton<JobGauges>();
        services.AddSingleton<Kiln.Core.Jobs.Events.LiveEventGauges>();
        services.AddKilnTelemetry(config, "kiln-web",
            metrics: m => m.AddAspNetCoreInstrumentation()
                .AddInstrumentation(sp => sp.GetRequiredService<JobGauges>())
                .AddInstrumentation(sp => sp.GetRequiredService<Kiln.Core.Jobs.Events.LiveEventGauges>())
                .AddPrometheusExporter(),
            tracing: t => t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath)
                && !http.Request.Path.StartsWithSegments("/health")));
        return services;
    }

    /// <summary><c>/metrics</c> in Prometheus text (or OpenMetrics when asked), behind <see cref="MetricsAccess"/>.</summary>
    public static IEndpointConventionBuilder MapKilnMetrics(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: b => b.UseMiddleware<MetricsAccess>(), optionsName: null);
}

internal static class KilnMetricsWeb
{
    public static void JobCreated(string pipeline) => KilnMetrics.JobsCreated.Add(1, new KeyValuePair<string, object?>("pipeline", pipeline));
}

using Kiln.Core;
using Kiln.Core.Common;
using OpenTelemetry.Metrics;

namespace Kiln.Worker;

public static class WorkerRegistrations
{
    public static IServiceCollection AddKilnWorker(this IServiceCollection services, IConfiguration config)
    {
        services.AddKilnCore(config);
        services.AddKilnBackgroundWork();
        services.AddKilnWorkerTelemetry(config);
        return services;
    }

    /// <summary>
    /// The shared OpenTelemetry setup, and Prometheus text on <c>Kiln:Telemetry:WorkerMetricsUrl</c> when it is set: this
    /// process's job durations, finished jobs and ledger movements, HttpClient and runtime metrics. (The database-read
    /// gauges, jobs by status and the queue, are the web host's.)
    /// </summary>
    public static IServiceCollection AddKilnWorkerTelemetry(this IServiceCollection services, IConfiguration config)
    {
        var options = TelemetryOptions.From(config);
        services.AddKilnTelemetry(config, "kiln-worker", metrics: m =>
        {
            if (string.IsNullOrWhiteSpace(options.WorkerMetricsUrl) || !options.TryParseWorkerMetricsUrl(out var host, out var port, out var path)) return;
            m.AddPrometheusHttpListener(o =>
            {
                o.Host = host;
                o.Port = port;
                o.ScrapeEndpointPath = path;
            });
        });
        return services;
    }
}

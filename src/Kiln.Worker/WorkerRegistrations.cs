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
            var everyInterface = host is "+" or "*";
            m.AddPrometheusHttpListener(o =>
            {
                o.Host = everyInterface ? "localhost" : host;
                o.Port = port;
                o.ScrapeEndpointPath = path;
                // The exporter's options take a host name only; HttpListener's wildcard host goes in as a prefix.
                if (everyInterface) o.ConfigureHttpListener = (_, listener) =>
                {
                    var prefixes = listener.Prefixes.Select(p => new Uri(p)).Select(u => $"http://+:{u.Port}{u.AbsolutePath}").Distinct().ToList();
                    listener.Prefixes.Clear();
                    foreach (var prefix in prefixes) listener.Prefixes.Add(prefix);
                };
            });
        });
        return services;
    }
}

using Kiln.Core.Accounts;
using Kiln.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Kiln.Worker;

public static class WorkerRegistrations
{
    public static IServiceCollection AddKilnWorker(this IServiceCollection services, IConfiguration config)
    {
        services.AddKilnCore(config);
        // Identity's user store: background work that erases accounts (due deletions) goes through UserManager.
        services.AddKilnIdentity();
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
        var serve = !string.IsNullOrWhiteSpace(options.WorkerMetricsUrl) && options.TryParseWorkerMetricsUrl(out _, out _, out _);
        services.AddKilnTelemetry(config, "kiln-worker", metrics: m => { if (serve) m.AddPrometheusExporter(); });
        if (serve) services.AddHostedService<WorkerMetricsServer>();
        return services;
    }
}

/// <summary>
/// A small Kestrel server on the worker's metrics address that serves only the scrape path, behind the same
/// <see cref="MetricsAccess"/> rule as the web host's <c>/metrics</c> (loopback by default, or the token).
/// </summary>
internal sealed class WorkerMetricsServer(MeterProvider meters, IOptions<TelemetryOptions> options) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.TryParseWorkerMetricsUrl(out var host, out var port, out var path)) return; // validated at start-up
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options);
        // "+" and "*" mean every interface, as in ASP.NET Core URLs.
        builder.WebHost.UseUrls($"http://{host}:{port}");
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint(path, meters, b => b.UseMiddleware<MetricsAccess>(), optionsName: null);
        await app.StartAsync(cancellationToken);
        _app = app;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

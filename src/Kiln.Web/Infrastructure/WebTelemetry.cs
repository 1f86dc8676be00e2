using System.Net;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Microsoft.Extensions.Options;
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

/// <summary>
/// Who may scrape <c>/metrics</c>: with neither <c>Kiln:Telemetry:MetricsToken</c> nor <c>MetricsAllowedNetworks</c> set,
/// everyone (as before); otherwise a caller from an allowed network, or one presenting the token as a bearer token.
/// A refused caller gets 401 (with a bearer challenge) when a token would have let it in, else 403.
/// </summary>
internal sealed class MetricsAccess
{
    private readonly RequestDelegate _next;
    private readonly byte[]? _token;
    private readonly IReadOnlyList<IPNetwork> _networks;
    private readonly bool _restricted;

    public MetricsAccess(RequestDelegate next, IOptions<TelemetryOptions> options)
    {
        _next = next;
        var o = options.Value;
        _restricted = o.MetricsRestricted;
        _token = string.IsNullOrEmpty(o.MetricsToken) ? null : Encoding.UTF8.GetBytes(o.MetricsToken);
        o.TryParseAllowedNetworks(out _networks);
    }

    public Task InvokeAsync(HttpContext http)
    {
        if (!_restricted || FromAllowedNetwork(http) || HasToken(http)) return _next(http);
        if (_token is not null)
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer";
        }
        else http.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private bool FromAllowedNetwork(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in _networks) if (network.Contains(address)) return true;
        return false;
    }

    private bool HasToken(HttpContext http)
    {
        if (_token is null) return false;
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()), _token);
    }
}

internal static class KilnMetricsWeb
{
    public static void JobCreated(string pipeline) => KilnMetrics.JobsCreated.Add(1, new KeyValuePair<string, object?>("pipeline", pipeline));
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kiln.Core.Common;

/// <summary>
/// The OpenTelemetry setup every Kiln process shares: Kiln's meter and activity source, HttpClient and .NET runtime
/// instrumentation, and OTLP export of traces and metrics when <c>Kiln:Telemetry:OtlpEndpoint</c> is set. Each host adds
/// what is its own (the web host ASP.NET Core instrumentation and <c>/metrics</c>, a worker its metrics port).
/// Traces are recorded only when they have somewhere to go (an OTLP endpoint).
/// </summary>
public static class KilnTelemetry
{
    public static OpenTelemetryBuilder AddKilnTelemetry(this IServiceCollection services, IConfiguration config, string defaultServiceName,
        Action<MeterProviderBuilder>? metrics = null, Action<TracerProviderBuilder>? tracing = null)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => o.TryParseAllowedNetworks(out _), "Kiln:Telemetry:MetricsAllowedNetworks must be comma-separated addresses or CIDR networks.")
            .Validate(o => string.IsNullOrWhiteSpace(o.WorkerMetricsUrl) || o.TryParseWorkerMetricsUrl(out _, out _, out _),
                "Kiln:Telemetry:WorkerMetricsUrl must look like http://127.0.0.1:9464 (optionally with a path).")
            .Validate(o => o.OtlpProtocol is "grpc" or "http/protobuf", "Kiln:Telemetry:OtlpProtocol must be grpc or http/protobuf.")
            .ValidateOnStart();
        var options = TelemetryOptions.From(config);
        var otlp = !string.IsNullOrWhiteSpace(options.OtlpEndpoint);

        var builder = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName ?? defaultServiceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(m =>
            {
                // "Npgsql": connection pool and command metrics (db_client_*), from Npgsql's own meter.
                m.AddMeter(KilnMetrics.MeterName, "Npgsql").AddHttpClientInstrumentation().AddRuntimeInstrumentation();
                // A meter made by another container's IMeterFactory (another host in this process, as in the tests:
                // its ASP.NET Core meters, its database gauges) belongs to that host's provider, not to this one.
                ((IDeferredMeterProviderBuilder)m).Configure((sp, b) =>
                {
                    var own = sp.GetRequiredService<IMeterFactory>();
                    b.AddView(i => i.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own) ? MetricStreamConfiguration.Drop : null);
                });
                metrics?.Invoke(m);
            });
        if (otlp)
        {
            builder.WithTracing(t =>
            {
                // Npgsql emits its own spans (one per command) from the "Npgsql" source: what Npgsql.OpenTelemetry's
                // AddNpgsql() registers, without a package pinned to another Npgsql version.
                t.AddSource(KilnMetrics.ActivitySourceName, "Npgsql").AddHttpClientInstrumentation();
                tracing?.Invoke(t);
            });
            builder.UseOtlpExporter(options.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc, new Uri(options.OtlpEndpoint!));
        }
        return builder;
    }
}

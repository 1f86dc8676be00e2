using System.Net;
using Microsoft.Extensions.Configuration;

namespace Kiln.Core.Common;

/// <summary>Bound from <c>Kiln:Telemetry</c>: where each process sends or serves its traces and metrics.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Kiln:Telemetry";

    /// <summary>The section bound now, for hosts that decide at registration time (which exporters to add).</summary>
    public static TelemetryOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

    /// <summary>An OTLP collector (e.g. <c>http://otel-collector:4317</c>); traces and metrics are exported to it when set.</summary>
    public string? OtlpEndpoint { get; set; }
    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; set; } = "grpc";
    /// <summary>The <c>service.name</c> resource attribute; defaults to <c>kiln-web</c> or <c>kiln-worker</c>.</summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// Where a worker process serves Prometheus text (e.g. <c>http://127.0.0.1:9464</c>, or <c>http://+:9464</c> for every
    /// interface; path <c>/metrics</c> unless the address names one). Off when empty. The same access rule as the web
    /// host's <c>/metrics</c> applies (<see cref="MetricsToken"/>, <see cref="MetricsAllowedNetworks"/>).
    /// </summary>
    public string? WorkerMetricsUrl { get; set; }

    /// <summary>When set, <c>/metrics</c> (web and worker) answers any caller sending <c>Authorization: Bearer</c> with this token.</summary>
    public string? MetricsToken { get; set; }
    /// <summary>
    /// Comma-separated addresses or CIDR networks (<c>127.0.0.0/8, ::1, 10.0.0.0/8</c>) whose requests to <c>/metrics</c>
    /// are answered without a token. Default: loopback only. <c>0.0.0.0/0, ::/0</c> opens it to everyone; an empty value
    /// leaves the token as the only way in. Behind a configured proxy the address is the client's as the proxy reports it (<c>Kiln:Http</c>).
    /// </summary>
    public string? MetricsAllowedNetworks { get; set; } = "127.0.0.0/8, ::1";

    /// <summary>Parses <see cref="MetricsAllowedNetworks"/>; a bare address is a network of that one address.</summary>
    public bool TryParseAllowedNetworks(out IReadOnlyList<IPNetwork> networks)
    {
        var list = new List<IPNetwork>();
        networks = list;
        foreach (var part in (MetricsAllowedNetworks ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(part, out var network)) list.Add(network);
            else if (IPAddress.TryParse(part, out var address)) list.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            else return false;
        }
        return true;
    }

    /// <summary>Parses <see cref="WorkerMetricsUrl"/> into host, port and path; <c>+</c> and <c>*</c> mean every interface.</summary>
    public bool TryParseWorkerMetricsUrl(out string host, out int port, out string path)
    {
        host = ""; port = 0; path = "/metrics";
        var url = WorkerMetricsUrl?.Trim() ?? "";
        if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) return false;
        var rest = url["http://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (rest.Length > slash + 1) path = rest[slash..].TrimEnd('/');
            rest = rest[..slash];
        }
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            || port is < 1 or > 65535) return false;
        host = rest[..colon];
        return true;
    }
}

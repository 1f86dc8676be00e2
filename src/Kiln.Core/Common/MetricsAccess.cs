using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Common;

/// <summary>
/// Who may scrape <c>/metrics</c>, on the web host and on a worker's metrics port alike: a caller whose address
/// is in <c>Kiln:Telemetry:MetricsAllowedNetworks</c> (default loopback only), or one presenting
/// <c>Kiln:Telemetry:MetricsToken</c> as a bearer token. A refused caller gets 401 (with a bearer challenge) when a token
/// would have let it in, else 403. The metrics hold credit totals and tenant activity, so they are never public by default.
/// </summary>
/// <remarks>
/// On the web host the forwarded-headers middleware runs first, so a request relayed by a configured proxy is judged by
/// the client address that proxy reports, not by the proxy's own (loopback) address: a scrape from outside through
/// nginx is refused like any other outside caller.
/// </remarks>
public sealed class MetricsAccess
{
    private readonly RequestDelegate _next;
    private readonly byte[]? _token;
    private readonly IReadOnlyList<IPNetwork> _networks;

    public MetricsAccess(RequestDelegate next, IOptions<TelemetryOptions> options)
    {
        _next = next;
        var o = options.Value;
        _token = string.IsNullOrEmpty(o.MetricsToken) ? null : Encoding.UTF8.GetBytes(o.MetricsToken);
        o.TryParseAllowedNetworks(out _networks);
    }

    public Task InvokeAsync(HttpContext http)
    {
        if (FromAllowedNetwork(http) || HasToken(http)) return _next(http);
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

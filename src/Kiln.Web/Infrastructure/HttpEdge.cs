using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// Bound from <c>Kiln:Http</c>: how the web host sits behind a reverse proxy (nginx, Caddy, a cloud load balancer).
/// </summary>
public sealed class HttpEdgeOptions
{
    public const string Section = "Kiln:Http";

    /// <summary>
    /// Comma-separated addresses of the proxies whose <c>X-Forwarded-For/Proto/Host</c> headers are believed
    /// (e.g. <c>10.0.0.5, 10.0.0.6</c>). A request from any other address keeps its own client address, scheme and host.
    /// </summary>
    public string? KnownProxies { get; set; }
    /// <summary>
    /// Comma-separated CIDR networks of such proxies (e.g. <c>10.0.0.0/8</c>). Default: loopback only, for a proxy on the
    /// same machine. With both lists empty, forwarded headers are ignored altogether.
    /// </summary>
    public string? KnownNetworks { get; set; } = "127.0.0.0/8, ::1/128";
    /// <summary>How many proxies in a row may add themselves to <c>X-Forwarded-For</c> (default 1: one proxy).</summary>
    public int ForwardLimit { get; set; } = 1;
    /// <summary><c>Strict-Transport-Security</c> max-age in days, sent on HTTPS responses only (0 turns it off).</summary>
    public int HstsMaxAgeDays { get; set; } = 365;
    public bool HstsIncludeSubDomains { get; set; }

    public static bool TryParseAddresses(string? list, out List<IPAddress> addresses)
    {
        addresses = [];
        foreach (var part in Split(list))
        {
            if (!IPAddress.TryParse(part, out var address)) return false;
            addresses.Add(address);
        }
        return true;
    }

    public static bool TryParseNetworks(string? list, out List<System.Net.IPNetwork> networks)
    {
        networks = [];
        foreach (var part in Split(list))
        {
            if (System.Net.IPNetwork.TryParse(part, out var network)) networks.Add(network);
            else if (IPAddress.TryParse(part, out var address)) networks.Add(new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8));
            else return false;
        }
        return true;
    }

    private static string[] Split(string? list) => (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// The outermost middleware, ahead of everything in <c>Program.cs</c> (it is a startup filter): forwarded headers from
/// known proxies only, HSTS on HTTPS, the instance header, and the request log. Host filtering (<c>AllowedHosts</c>)
/// runs before all of it, on the Host header as received.
/// </summary>
public static class HttpEdge
{
    public const string InstanceHeader = "X-Kiln-Instance";

    public static IServiceCollection AddKilnHttpEdge(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<HttpEdgeOptions>().BindConfiguration(HttpEdgeOptions.Section)
            .Validate(o => HttpEdgeOptions.TryParseAddresses(o.KnownProxies, out _), "Kiln:Http:KnownProxies must be comma-separated IP addresses.")
            .Validate(o => HttpEdgeOptions.TryParseNetworks(o.KnownNetworks, out _), "Kiln:Http:KnownNetworks must be comma-separated CIDR networks.")
            .Validate(o => o.ForwardLimit >= 1, "Kiln:Http:ForwardLimit must be at least 1.")
            .Validate(o => o.HstsMaxAgeDays >= 0, "Kiln:Http:HstsMaxAgeDays cannot be negative.")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<HttpEdgeOptions>>((o, edge) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.ForwardLimit = edge.Value.ForwardLimit;
            // ASP.NET Core trusts loopback by default; here only what is configured is trusted.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            if (HttpEdgeOptions.TryParseAddresses(edge.Value.KnownProxies, out var proxies)) foreach (var p in proxies) o.KnownProxies.Add(p);
            if (HttpEdgeOptions.TryParseNetworks(edge.Value.KnownNetworks, out var networks)) foreach (var n in networks) o.KnownIPNetworks.Add(n);
            // A forwarded Host must be one of AllowedHosts too, or a proxy could be used to smuggle a forged one.
            var allowed = (config["AllowedHosts"] ?? "*").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (!allowed.Contains("*")) foreach (var host in allowed) o.AllowedHosts.Add(host);
        });
        services.AddHsts(_ => { });
        services.AddOptions<HstsOptions>().Configure<IOptions<HttpEdgeOptions>>((o, edge) =>
        {
            o.MaxAge = TimeSpan.FromDays(edge.Value.HstsMaxAgeDays);
            o.IncludeSubDomains = edge.Value.HstsIncludeSubDomains;
            o.ExcludedHosts.Clear(); // behind a proxy the host may well be an address; HTTPS is what decides
        });
        services.AddOptions<RequestLogOptions>().BindConfiguration(RequestLogOptions.Section)
            .Validate(o => o.RequestSampleRate is >= 0 and <= 1, "Kiln:Logging:RequestSampleRate must be between 0 and 1.")
            .Validate(o => o.ReadSampleRate is >= 0 and <= 1, "Kiln:Logging:ReadSampleRate must be between 0 and 1.")
            .ValidateOnStart();
        services.AddTransient<IStartupFilter, HttpEdgeStartupFilter>();
        return services;
    }

    /// <summary>Warns at start-up about a production host that accepts any Host header.</summary>
    public static void WarnAboutOpenHosts(WebApplication app)
    {
        if (!app.Environment.IsProduction()) return;
        var hosts = app.Configuration["AllowedHosts"];
        if (string.IsNullOrWhiteSpace(hosts) || hosts.Trim() == "*")
            app.Logger.LogWarning("AllowedHosts is '*': set it to this site's host names (e.g. kiln.example.com) so requests for other hosts are refused");
    }

    private sealed class HttpEdgeStartupFilter(IOptions<HttpEdgeOptions> edge, IConfiguration config) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var o = edge.Value;
            var forwarding = !string.IsNullOrWhiteSpace(o.KnownProxies) || !string.IsNullOrWhiteSpace(o.KnownNetworks);
            if (forwarding) app.UseForwardedHeaders();
            var instance = config["Kiln:Instance"];
            if (!string.IsNullOrWhiteSpace(instance))
            {
                // Which process answered, for operators and the scale-out test: the name and the process id.
                var value = $"{instance}/{Environment.ProcessId}";
                app.Use((http, nxt) =>
                {
                    http.Response.Headers[InstanceHeader] = value;
                    return nxt(http);
                });
            }
            app.UseMiddleware<RequestLog>();
            if (o.HstsMaxAgeDays > 0) app.UseHsts();
            next(app);
        };
    }
}

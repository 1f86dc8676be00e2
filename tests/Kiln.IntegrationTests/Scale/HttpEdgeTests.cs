using System.Net;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Kiln.IntegrationTests.Scale;

/// <summary>Forwarded headers only from configured proxies, HSTS and Secure cookies behind TLS, and the Host header.</summary>
public sealed class HttpEdgeTests(PostgresServer pg)
{
    private const string Proxy = "203.0.113.9";

    [Fact]
    public async Task Forwarded_headers_from_an_address_that_is_not_a_configured_proxy_are_ignored()
    {
        // Default: only a proxy on loopback is believed.
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var http = await SignInPage(host, from: Proxy, forwardedProto: "https");
        http.Response.Headers.ContainsKey("Strict-Transport-Security").ShouldBeFalse();
        AntiforgeryCookie(http).ShouldNotContain("secure");
        http.Request.IsHttps.ShouldBeFalse();
        http.Connection.RemoteIpAddress.ShouldBe(IPAddress.Parse(Proxy));
    }

    [Fact]
    public async Task A_configured_proxy_terminating_tls_makes_cookies_secure_and_sends_hsts()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Http:KnownProxies"] = Proxy,
            ["Kiln:Http:HstsMaxAgeDays"] = "2",
        });
        var http = await SignInPage(host, from: Proxy, forwardedProto: "https");
        http.Response.Headers.StrictTransportSecurity.ToString().ShouldBe("max-age=172800");
        AntiforgeryCookie(http).ShouldContain("secure");
        http.Connection.RemoteIpAddress.ShouldBe(IPAddress.Parse("198.51.100.77"), "the client address the proxy reported");

        // The same headers from anyone else change nothing.
        var other = await SignInPage(host, from: "203.0.113.10", forwardedProto: "https");
        other.Response.Headers.ContainsKey("Strict-Transport-Security").ShouldBeFalse();
        AntiforgeryCookie(other).ShouldNotContain("secure");
    }

    [Fact]
    public async Task A_forged_host_header_never_reaches_the_sign_in_redirect()
    {
        await using var open = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var redirected = await Get(open, "/dashboard", hostName: "evil.example");
        redirected.Response.StatusCode.ShouldBe(StatusCodes.Status302Found);
        var location = redirected.Response.Headers.Location.ToString();
        location.ShouldStartWith("/signin?ReturnUrl=");
        location.ShouldNotContain("evil.example");

        // With an explicit host list (production), another host is refused outright, directly or forwarded.
        await using var listed = await KilnTestHost.StartAsync("sqlite", pg, worker: false, new Dictionary<string, string?>
        {
            ["AllowedHosts"] = "kiln.example",
            ["Kiln:Http:KnownProxies"] = Proxy,
        });
        (await Get(listed, "/dashboard", hostName: "evil.example")).Response.StatusCode.ShouldBe(StatusCodes.Status400BadRequest);
        (await Get(listed, "/dashboard", hostName: "kiln.example")).Response.StatusCode.ShouldBe(StatusCodes.Status302Found);
        var forwarded = await Get(listed, "/dashboard", hostName: "kiln.example", configure: c =>
        {
            c.Connection.RemoteIpAddress = IPAddress.Parse(Proxy);
            c.Request.Headers["X-Forwarded-Host"] = "evil.example";
        });
        forwarded.Request.Host.Host.ShouldBe("kiln.example");
        forwarded.Response.Headers.Location.ToString().ShouldNotContain("evil.example");
    }

    private static Task<HttpContext> SignInPage(KilnTestHost host, string from, string forwardedProto) => Get(host, "/signin", "localhost", c =>
    {
        c.Connection.RemoteIpAddress = IPAddress.Parse(from);
        c.Request.Headers["X-Forwarded-Proto"] = forwardedProto;
        c.Request.Headers["X-Forwarded-For"] = "198.51.100.77";
    });

    private static Task<HttpContext> Get(KilnTestHost host, string path, string hostName, Action<HttpContext>? configure = null) =>
        host.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = path;
            c.Request.Host = new HostString(hostName);
            c.Request.Headers.Accept = "text/html";
            configure?.Invoke(c);
        });

    private static string AntiforgeryCookie(HttpContext http) =>
        http.Response.Headers.SetCookie.Single(c => c!.StartsWith("kiln.af=", StringComparison.Ordinal))!.ToLowerInvariant();
}

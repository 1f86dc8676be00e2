using System.Net;
using System.Net.Http.Headers;
using Kiln.Core.Tests.Support;
using Kiln.Core.Common;
using Kiln.Core.Uploads;
using Microsoft.AspNetCore.Http;

namespace Kiln.Core.Tests.Uploads;

public sealed class UrlAddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.7")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.254")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("198.18.0.1")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456:789a::1")]
    [InlineData("fe80::1")]
    [InlineData("febf::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]      // NAT64 of 169.254.169.254
    [InlineData("2002:7f00:1::1")]          // 6to4 of 127.0.0.1
    [InlineData("2001:db8::1")]
    public void Internal_addresses_are_refused(string address) =>
        UrlAddressPolicy.IsPublic(IPAddress.Parse(address)).ShouldBeFalse(address);

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("8.8.8.8")]
    [InlineData("93.184.216.34")]
    [InlineData("100.63.255.255")]          // just below CGNAT
    [InlineData("100.128.0.1")]             // just above CGNAT
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("169.253.255.255")]
    [InlineData("11.0.0.1")]
    [InlineData("223.255.255.255")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001:80b::200e")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]        // NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1")]         // 6to4 of 8.8.8.8
    public void Public_addresses_are_allowed(string address) =>
        UrlAddressPolicy.IsPublic(IPAddress.Parse(address)).ShouldBeTrue(address);
}

public sealed class UrlFetcherTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a url")]
    [InlineData("/relative/paper.pdf")]
    [InlineData("ftp://example.com/paper.pdf")]
    [InlineData("file:///etc/passwd")]
    [InlineData("javascript:alert(1)")]
    [InlineData("gopher://example.com/")]
    [InlineData("https://user:secret@example.com/paper.pdf")]
    [InlineData("https://user@example.com/paper.pdf")]
    public void Only_plain_http_and_https_links_parse(string url)
    {
        var result = UrlFetcher.Parse(url);
        result.IsSuccess.ShouldBeFalse(url);
        result.Error!.Code.ShouldBe("url_invalid");
    }

    [Fact]
    public void Links_longer_than_2000_characters_are_refused()
    {
        UrlFetcher.Parse("https://example.com/" + new string('a', 1980) + ".pdf").Error!.Code.ShouldBe("url_invalid");
        UrlFetcher.Parse("https://example.com/" + new string('a', 1900) + ".pdf").IsSuccess.ShouldBeTrue();
    }

    [Fact]
    public async Task A_redirect_from_an_allowed_host_to_a_forbidden_one_is_refused_at_the_connect()
    {
        // 127.0.0.1 plays a public host; 127.0.0.2 and ::1 play the internal ones. The second hop never connects.
        await using var server = await SourceServer.StartAsync(port => new()
        {
            ["/start"] = ctx => Redirect(ctx, $"http://127.0.0.2:{port}/secret"),
            ["/v6"] = ctx => Redirect(ctx, $"http://[::1]:{port}/secret"),
            ["/secret"] = ctx => ctx.Response.WriteAsync("internal"),
        });
        using var fetcher = new UrlFetcher(a => a.Equals(IPAddress.Loopback));
        foreach (var path in new[] { "/start", "/v6" })
        {
            var e = await Should.ThrowAsync<UrlFetchException>(() => fetcher.GetAsync(new Uri(server.Url + path), CancellationToken.None));
            e.Error.Code.ShouldBe("url_forbidden_address", path);
        }
        server.Hits("/secret").ShouldBe(0);
        server.Hits("/start").ShouldBe(1);
    }

    [Fact]
    public async Task Redirects_are_followed_five_times_and_no_more()
    {
        await using var server = await SourceServer.StartAsync(_ => new()
        {
            ["/hop"] = ctx =>
            {
                var n = int.Parse(ctx.Request.Query["n"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
                return n == 0 ? ctx.Response.WriteAsync("done") : Redirect(ctx, $"/hop?n={n - 1}");
            },
        });
        using var fetcher = new UrlFetcher(_ => true);
        using (var ok = await fetcher.GetAsync(new Uri(server.Url + "/hop?n=5"), CancellationToken.None))
        {
            ok.FinalUri.Query.ShouldBe("?n=0");
            (await ok.Message.Content.ReadAsStringAsync()).ShouldBe("done");
        }
        var e = await Should.ThrowAsync<UrlFetchException>(() => fetcher.GetAsync(new Uri(server.Url + "/hop?n=6"), CancellationToken.None));
        e.Error.Code.ShouldBe("url_fetch_failed");
        e.Error.Message.ShouldContain("more than 5");
    }

    [Fact]
    public async Task The_default_policy_refuses_loopback_even_by_name()
    {
        await using var server = await SourceServer.StartAsync(_ => new() { ["/x.pdf"] = ctx => ctx.Response.WriteAsync("x") });
        using var fetcher = new UrlFetcher(Microsoft.Extensions.Options.Options.Create(new UploadOptions()));
        foreach (var url in new[] { server.Url + "/x.pdf", $"http://localhost:{server.Port}/x.pdf", $"http://[::ffff:127.0.0.1]:{server.Port}/x.pdf", $"http://2130706433:{server.Port}/x.pdf" })
        {
            var e = await Should.ThrowAsync<UrlFetchException>(() => fetcher.GetAsync(new Uri(url), CancellationToken.None));
            e.Error.Code.ShouldBe("url_forbidden_address", url);
        }
        server.Hits("/x.pdf").ShouldBe(0);
    }

    private static Task Redirect(HttpContext ctx, string location)
    {
        ctx.Response.StatusCode = 302;
        ctx.Response.Headers.Location = location;
        return Task.CompletedTask;
    }
}

public sealed class UrlFileNameTests
{
    [Theory]
    [InlineData("https://example.com/papers/kilns.pdf", null, "kilns.pdf")]
    [InlineData("https://example.com/papers/my%20paper.pdf?x=1#top", null, "my paper.pdf")]
    [InlineData("https://example.com/download.php?id=3", "attachment; filename=\"report.pdf\"", "report.pdf")]
    [InlineData("https://example.com/d", "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "résumé.pdf")]
    [InlineData("https://example.com/d", "attachment; filename=\"../../etc/passwd.pdf\"", "passwd.pdf")]
    [InlineData("https://example.com/", null, null)]
    [InlineData("https://example.com/a/..%2F..%2Fx.pdf", null, "x.pdf")]
    public void Names_come_from_content_disposition_or_the_path(string url, string? disposition, string? expected)
    {
        var header = disposition is null ? null : ContentDispositionHeaderValue.Parse(disposition);
        UrlFileNames.FromResponse(header, new Uri(url)).ShouldBe(expected);
    }

    [Fact]
    public void A_name_without_a_supported_extension_gets_the_one_the_bytes_stand_for()
    {
        UrlFileNames.WithSupportedExtension("2401.12345", Container.Pdf, "application/octet-stream").ShouldBe("2401.12345.pdf");
        UrlFileNames.WithSupportedExtension(null, Container.Pdf, null).ShouldBe("download.pdf");
        UrlFileNames.WithSupportedExtension("notes", Container.Unknown, "text/plain").ShouldBe("notes.txt");
        UrlFileNames.WithSupportedExtension("kilns.pdf", Container.Unknown, "text/html").ShouldBe("kilns.pdf");
        UrlFileNames.WithSupportedExtension("page", Container.Unknown, "text/html").ShouldBeNull();
        UrlFileNames.WithSupportedExtension(new string('a', 300), Container.Pdf, null)!.Length.ShouldBe(255);
    }
}

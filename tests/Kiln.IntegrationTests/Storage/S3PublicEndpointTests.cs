using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Storage;

/// <summary>
/// The compose layout in one process: Kiln reaches s3rver directly (<c>ServiceUrl</c>), clients reach it through a
/// relay on another port (<c>PublicServiceUrl</c>, nginx's S3 port in compose). The API hands out links for the relay,
/// the browser's CSP allows it, and Kiln's own calls never go through it.
/// </summary>
public sealed class S3PublicEndpointTests(PostgresServer pg, S3Server s3) : IClassFixture<S3Server>
{
    private static readonly HttpClient Network = new();

    [Fact]
    public async Task Upload_links_point_at_the_public_address_while_the_host_completes_through_the_internal_one()
    {
        await using var relay = new TcpGate(s3.Port);
        var publicUrl = $"http://127.0.0.1:{relay.Port}";
        var settings = WorkerProcess.S3Settings(s3);
        settings["Kiln:Storage:S3:PublicServiceUrl"] = publicUrl;
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, settings);
        var user = await host.SignUpAsync();
        var pdf = TestFiles.Pdf(2);

        var created = await (await user.Client.PostAsJsonAsync("/api/uploads", new { fileName = "book.pdf", size = pdf.Length, contentType = "application/pdf" })).Json(HttpStatusCode.Created);
        var part = created.GetProperty("parts").EnumerateArray().Single();
        var url = new Uri(part.GetProperty("url").GetString()!);
        url.GetLeftPart(UriPartial.Authority).ShouldBe(publicUrl);
        using var put = await Network.PutAsync(url, new ByteArrayContent(pdf), TestContext.Current.CancellationToken);
        put.StatusCode.ShouldBe(HttpStatusCode.OK);

        // With the public address gone, Kiln still stats, reads and validates the upload: its calls use ServiceUrl.
        relay.Close();
        var complete = await user.Client.PostAsJsonAsync($"/api/uploads/{created.Id()}/complete", new { parts = new[] { new { partNumber = 1, etag = put.Headers.ETag!.Tag } } });
        var ready = await complete.Json(HttpStatusCode.OK);
        ready.GetProperty("status").GetString().ShouldBe("ready");

        // The upload page's browser PUTs parts to the store, so the page's CSP must allow the public origin.
        using var page = await host.CreateClient().GetAsync("/", TestContext.Current.CancellationToken);
        page.Headers.GetValues("Content-Security-Policy").Single().ShouldContain($"connect-src 'self' {publicUrl};");
    }
}

using System.Net.Http.Headers;
using Kiln.Core.Storage;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Storage;

/// <summary>
/// Kiln reaches the store at one address (compose's <c>http://s3:9000</c>) and hands clients links for another
/// (<c>Kiln:Storage:S3:PublicServiceUrl</c>). Here the internal address is <c>127.0.0.1</c> and the public one
/// <c>localhost</c>: the same s3rver, but a different <c>Host</c>, which is what a SigV4 signature covers.
/// </summary>
public sealed class S3PublicEndpointTests(S3Server server) : IClassFixture<S3Server>, IDisposable
{
    private static readonly HttpClient Http = new();
    private readonly S3StoreOptions _options = WithPublicUrl(server.StoreOptions, $"http://localhost:{server.Port}");
    private readonly string _ws = $"ws/{Guid.NewGuid():N}/";
    private S3BlobStore? _store;

    private S3BlobStore Store => _store ??= new S3BlobStore(_options);
    private string PublicHost => $"localhost:{server.Port}";
    private string InternalHost => $"127.0.0.1:{server.Port}";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store?.Dispose();

    [Fact]
    public async Task Presigned_put_and_get_go_to_the_public_host_are_signed_for_it_and_round_trip_the_bytes()
    {
        var bytes = TestFiles.Pdf(2);
        var key = _ws + "uploads/doc";

        var upload = Store.GetUploadUrl(key, "application/pdf", bytes.Length, TimeSpan.FromMinutes(5));
        upload.Url.Authority.ShouldBe(PublicHost);
        SigV4Presigned.Verifies(upload.Url, "PUT", PublicHost, _options.SecretKey!, upload.Headers).ShouldBeTrue();
        SigV4Presigned.Verifies(upload.Url, "PUT", InternalHost, _options.SecretKey!, upload.Headers).ShouldBeFalse();
        using (var put = new HttpRequestMessage(HttpMethod.Put, upload.Url) { Content = new ByteArrayContent(bytes) })
        {
            put.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(upload.Headers["Content-Type"]);
            using var response = await Http.SendAsync(put, Ct);
            response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync(Ct));
        }
        // Kiln's own calls still use the internal address.
        (await Store.StatAsync(key, Ct))!.Size.ShouldBe(bytes.Length);

        var download = Store.GetDownloadUrl(key, "book.pdf", "application/pdf", TimeSpan.FromMinutes(5));
        download.Authority.ShouldBe(PublicHost);
        SigV4Presigned.Verifies(download, "GET", PublicHost, _options.SecretKey!).ShouldBeTrue();
        SigV4Presigned.Verifies(download, "GET", InternalHost, _options.SecretKey!).ShouldBeFalse();
        using var get = await Http.GetAsync(download, Ct);
        get.IsSuccessStatusCode.ShouldBeTrue(await get.Content.ReadAsStringAsync(Ct));
        (await get.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(bytes);
        get.Content.Headers.ContentDisposition!.FileNameStar.ShouldBe("book.pdf");
    }

    [Fact]
    public async Task Multipart_part_links_use_the_public_host_and_complete_through_the_internal_one()
    {
        var bytes = TestFiles.Wav(1);
        var key = _ws + "uploads/tone";
        var uploadId = await Store.InitiateMultipartAsync(key, "audio/wav", Ct);

        var part = Store.GetPartUploadUrl(key, uploadId, 1, bytes.Length, TimeSpan.FromMinutes(5));
        part.Url.Authority.ShouldBe(PublicHost);
        SigV4Presigned.Verifies(part.Url, "PUT", PublicHost, _options.SecretKey!).ShouldBeTrue();
        using var response = await Http.PutAsync(part.Url, new ByteArrayContent(bytes), Ct);
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync(Ct));
        // s3rver cannot list parts, so (as a client does then) the ETag comes from the part's response.
        await Store.CompleteMultipartAsync(key, uploadId, [new BlobPart(1, response.Headers.ETag!.Tag)], Ct);

        await using var read = await Store.OpenReadAsync(key, Ct);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, Ct);
        copy.ToArray().ShouldBe(bytes);
    }

    [Fact]
    public void The_public_origin_is_the_public_endpoint_or_else_the_service_url_and_passes_through_the_meter()
    {
        ((IBlobStore)new MeteredBlobStore(Store)).PublicOrigin.ShouldBe($"http://{PublicHost}");
        using var internalOnly = new S3BlobStore(server.StoreOptions);
        internalOnly.PublicOrigin.ShouldBe($"http://{InternalHost}");
        internalOnly.GetDownloadUrl(_ws + "x", "x.txt", "text/plain", TimeSpan.FromMinutes(1)).Authority.ShouldBe(InternalHost);
        using var aws = new S3BlobStore(new S3StoreOptions { Region = "eu-west-1", Bucket = "media", AccessKey = "AKID", SecretKey = "secret", ForcePathStyle = false });
        aws.PublicOrigin.ShouldBe("https://media.s3.eu-west-1.amazonaws.com");
    }

    private static S3StoreOptions WithPublicUrl(S3StoreOptions o, string publicUrl) => new()
    {
        ServiceUrl = o.ServiceUrl, PublicServiceUrl = publicUrl, Region = o.Region, Bucket = o.Bucket,
        AccessKey = o.AccessKey, SecretKey = o.SecretKey, ForcePathStyle = o.ForcePathStyle,
    };
}

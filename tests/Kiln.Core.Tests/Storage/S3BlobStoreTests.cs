using System.Text;
using Kiln.Core.Storage;
using Kiln.Core.Tests.Support;
using Kiln.Core.Uploads;

namespace Kiln.Core.Tests.Storage;

/// <summary>The S3 store against a real S3-protocol server (s3rver, started per test class).</summary>
public sealed class S3BlobStoreTests(S3Server server) : IClassFixture<S3Server>, IDisposable
{
    private static readonly HttpClient Http = new();
    private readonly S3BlobStore _store = new(server.StoreOptions);
    private readonly string _ws = $"ws/{Guid.NewGuid():N}/";

    public void Dispose() => _store.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_get_stat_delete_and_delete_prefix()
    {
        var bytes = Encoding.UTF8.GetBytes("hello from s3");
        await _store.PutAsync(_ws + "jobs/1/a1/out.txt", new MemoryStream(bytes), "text/plain", Ct);
        // A non-seekable source is spooled, not buffered, and must arrive intact.
        await _store.PutAsync(_ws + "jobs/1/a1/two.bin", new NonSeekable(new MemoryStream(new byte[70_000])), "application/octet-stream", Ct);
        await _store.PutAsync(_ws + "jobs/2/a1/out.txt", new MemoryStream(bytes), "text/plain", Ct);

        var stat = await _store.StatAsync(_ws + "jobs/1/a1/out.txt", Ct);
        stat.ShouldNotBeNull();
        stat.Size.ShouldBe(bytes.Length);
        stat.ContentType.ShouldBe("text/plain");
        (await _store.StatAsync(_ws + "jobs/1/a1/two.bin", Ct))!.Size.ShouldBe(70_000);
        (await ReadAllAsync(_ws + "jobs/1/a1/out.txt")).ShouldBe(bytes);

        await _store.DeletePrefixAsync(_ws + "jobs/1/", Ct);
        (await _store.StatAsync(_ws + "jobs/1/a1/out.txt", Ct)).ShouldBeNull();
        (await _store.StatAsync(_ws + "jobs/1/a1/two.bin", Ct)).ShouldBeNull();
        (await _store.StatAsync(_ws + "jobs/2/a1/out.txt", Ct)).ShouldNotBeNull();

        await _store.DeleteAsync(_ws + "jobs/2/a1/out.txt", Ct);
        (await _store.StatAsync(_ws + "jobs/2/a1/out.txt", Ct)).ShouldBeNull();
        await Should.ThrowAsync<FileNotFoundException>(() => _store.OpenReadAsync(_ws + "missing", Ct));
    }

    [Fact]
    public async Task Reading_to_hash_returns_the_whole_object_whatever_its_size()
    {
        // Read as one range (so the SDK skips its MD5 of the body): every byte, an empty object too, and a missing one is
        // a FileNotFoundException as for a plain read.
        var multipart = new byte[(5 << 20) + 3 * 1000 + 7];
        new Random(7).NextBytes(multipart);
        var key = _ws + "uploads/parts";
        var id = await _store.InitiateMultipartAsync(key, "audio/wav", Ct);
        var first = await _store.UploadPartAsync(key, id, 1, new MemoryStream(multipart[..(5 << 20)]), Ct);
        var second = await _store.UploadPartAsync(key, id, 2, new MemoryStream(multipart[(5 << 20)..]), Ct);
        await _store.CompleteMultipartAsync(key, id, [new BlobPart(1, first), new BlobPart(2, second)], Ct);
        await _store.PutAsync(_ws + "uploads/empty", new MemoryStream(), "text/plain", Ct);
        await _store.PutAsync(_ws + "uploads/small", new MemoryStream([1, 2, 3]), "text/plain", Ct);

        (await ReadToHashAsync(key)).ShouldBe(multipart);
        (await ReadToHashAsync(_ws + "uploads/empty")).ShouldBeEmpty();
        (await ReadToHashAsync(_ws + "uploads/small")).ShouldBe(new byte[] { 1, 2, 3 });
        await Should.ThrowAsync<FileNotFoundException>(() => _store.OpenReadToHashAsync(_ws + "missing", Ct));
        // Through the metering wrapper the application uses, too.
        IBlobStore metered = new MeteredBlobStore(_store);
        await using var read = await metered.OpenReadToHashAsync(_ws + "uploads/small", Ct);
        (await read.ReadAtLeastAsync(new byte[8], 8, throwOnEndOfStream: false, Ct)).ShouldBe(3);
    }

    private async Task<byte[]> ReadToHashAsync(string key)
    {
        await using var read = await _store.OpenReadToHashAsync(key, Ct);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    [Fact]
    public async Task Presigned_download_returns_the_exact_bytes_with_an_encoded_filename()
    {
        var bytes = TestFiles.Pdf(2);
        await _store.PutAsync(_ws + "uploads/doc", new MemoryStream(bytes), "application/pdf", Ct);

        var url = _store.GetDownloadUrl(_ws + "uploads/doc", "Übersicht \"2026\".pdf", "application/pdf", TimeSpan.FromMinutes(5));
        url.Scheme.ShouldBe("http");
        using var response = await Http.GetAsync(url, Ct);

        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync(Ct));
        (await response.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(bytes);
        response.Content.Headers.ContentDisposition!.ToString().ShouldBe(ContentDispositionHeader.Attachment("Übersicht \"2026\".pdf"));
        response.Content.Headers.ContentDisposition.FileNameStar.ShouldBe("Übersicht \"2026\".pdf");
    }

    [Fact]
    public async Task Multipart_upload_through_presigned_part_urls_is_validated_after_completion()
    {
        using var h = new UploadHarness(_store, o => o.PartSize = 5 * UploadOptions.MiB);
        var wav = TestFiles.Wav(125); // ~11 MB: three parts, the first two at S3's 5 MiB minimum.

        var (created, parts) = await h.UploadAsync("long tone.wav", wav);
        created.Parts.Count.ShouldBe(3);
        created.Parts.ShouldAllBe(p => p.Url.Query.Contains("uploadId=") && p.Url.Query.Contains("partNumber="));

        await using var db = h.Context();
        var result = await h.Complete(db).Run(h.WorkspaceId, created.Id, parts, Ct);

        result.Error.ShouldBeNull();
        result.Value!.Kind.ShouldBe("audio");
        result.Value.Size.ShouldBe(wav.Length);
        result.Value.Metadata().GetProperty("durationSeconds").GetDouble().ShouldBe(125, 0.1);
        result.Value.Sha256.ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(wav)), "S3 assembles remotely: read back and hashed");
        (await ReadAllAsync(BlobKeys.Upload(h.WorkspaceId, created.Id))).ShouldBe(wav);
        Directory.EnumerateFiles(h.TempPath).ShouldBeEmpty();
    }

    [Fact]
    public async Task Single_presigned_put_then_validation_and_rejection_cleanup()
    {
        using var h = new UploadHarness(_store);
        var ok = await h.UploadAndCompleteAsync("doc.pdf", TestFiles.Pdf());
        ok.Error.ShouldBeNull();
        ok.Value!.Metadata().GetProperty("pages").GetInt32().ShouldBe(1);

        var (bad, _) = await h.UploadAsync("fake.pdf", Encoding.UTF8.GetBytes("not a pdf at all"));
        await using var db = h.Context();
        (await h.Complete(db).Run(h.WorkspaceId, bad.Id, null, Ct)).Error!.Code.ShouldBe("type_mismatch");
        (await _store.StatAsync(BlobKeys.Upload(h.WorkspaceId, bad.Id), Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task Oversize_content_is_caught_while_streaming_from_s3()
    {
        using var h = new UploadHarness(_store, o => o.MaxBytes = 1000);
        var (created, _) = await h.UploadAsync("big.pdf", new byte[3000], declaredSize: 900);

        await using var db = h.Context();
        var result = await h.Complete(db).Run(h.WorkspaceId, created.Id, null, Ct);

        result.Error!.Code.ShouldBe("upload_too_large");
        (await _store.StatAsync(BlobKeys.Upload(h.WorkspaceId, created.Id), Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task Sweeper_cleans_up_on_servers_without_multipart_listing_or_abort()
    {
        using var h = new UploadHarness(_store, o => o.PartSize = 5 * UploadOptions.MiB);
        await using var db = h.Context();
        var created = await h.Create(db).Run(h.WorkspaceId, null, new CreateUploadRequest("later.mp4", 6 * UploadOptions.MiB, null), Ct);
        created.Value!.Parts.Count.ShouldBe(2);

        h.Time.Advance(h.Options.PendingLifetime + TimeSpan.FromMinutes(1));
        (await h.Sweeper(db).SweepAsync(Ct)).ShouldBe(1);
    }

    private async Task<byte[]> ReadAllAsync(string key)
    {
        await using var read = await _store.OpenReadAsync(key, Ct);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

using System.Text;
using Kiln.Core.Storage;
using Kiln.Core.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Storage;

public sealed class LocalDiskBlobStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kiln-blobs-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly LocalDiskBlobStore _store;

    public LocalDiskBlobStoreTests()
    {
        _store = new LocalDiskBlobStore(Path.Combine(_dir.FullName, "blobs"), new LocalBlobSigner(new byte[32]), new Uri("https://kiln.test/"), _time);
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_then_read_stat_and_delete_round_trip()
    {
        var bytes = Encoding.UTF8.GetBytes("hello blobs");
        await _store.PutAsync("ws/a/uploads/x", new MemoryStream(bytes), "text/plain", Ct);

        (await _store.StatAsync("ws/a/uploads/x", Ct))!.Size.ShouldBe(bytes.Length);
        await using (var read = await _store.OpenReadAsync("ws/a/uploads/x", Ct))
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy, Ct);
            copy.ToArray().ShouldBe(bytes);
        }

        await _store.DeleteAsync("ws/a/uploads/x", Ct);
        (await _store.StatAsync("ws/a/uploads/x", Ct)).ShouldBeNull();
        Directory.EnumerateFiles(_store.Root, ".tmp-*", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Fact]
    public async Task DeletePrefix_removes_only_keys_under_the_prefix()
    {
        foreach (var key in new[] { "ws/a/jobs/1/a1/out.txt", "ws/a/jobs/1/a2/out.txt", "ws/a/jobs/10/a1/out.txt", "ws/b/jobs/1/a1/out.txt" })
            await _store.PutAsync(key, new MemoryStream([1, 2, 3]), "application/octet-stream", Ct);

        await _store.DeletePrefixAsync("ws/a/jobs/1/", Ct);

        (await _store.StatAsync("ws/a/jobs/1/a1/out.txt", Ct)).ShouldBeNull();
        (await _store.StatAsync("ws/a/jobs/1/a2/out.txt", Ct)).ShouldBeNull();
        (await _store.StatAsync("ws/a/jobs/10/a1/out.txt", Ct)).ShouldNotBeNull();
        (await _store.StatAsync("ws/b/jobs/1/a1/out.txt", Ct)).ShouldNotBeNull();
        Directory.Exists(Path.Combine(_store.Root, "ws", "a", "jobs", "1")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("ws/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("ws//double")]
    [InlineData("ws/.multipart/x")]
    [InlineData("ws\\..\\x")]
    [InlineData("ws/a b")]
    [InlineData("")]
    public async Task Keys_that_could_escape_the_root_are_rejected(string key)
    {
        await Should.ThrowAsync<ArgumentException>(() => _store.PutAsync(key, new MemoryStream([1]), "x/y", Ct));
        Should.Throw<ArgumentException>(() => _store.PathFor(key));
        _store.VerifyDownload(key, new QueryCollection()).ShouldBeNull();
        Directory.EnumerateFiles(_dir.FullName, "*", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Fact]
    public void Signed_download_url_verifies_and_any_tampering_is_rejected()
    {
        var url = _store.GetDownloadUrl("ws/a/uploads/x", "report.pdf", "application/pdf", TimeSpan.FromMinutes(5));
        url.AbsolutePath.ShouldBe("/blobs/ws/a/uploads/x");
        var query = Query(url);

        var ok = _store.VerifyDownload("ws/a/uploads/x", query);
        ok.ShouldNotBeNull();
        ok.FileName.ShouldBe("report.pdf");
        ok.ContentType.ShouldBe("application/pdf");

        _store.VerifyDownload("ws/b/uploads/x", query).ShouldBeNull();
        _store.VerifyDownload("ws/a/uploads/x", With(query, "fn", "evil.html")).ShouldBeNull();
        _store.VerifyDownload("ws/a/uploads/x", With(query, "ct", "text/html")).ShouldBeNull();
        _store.VerifyDownload("ws/a/uploads/x", With(query, "exp", (long.Parse(query["exp"]!) + 3600).ToString())).ShouldBeNull();
        var sig = query["sig"].ToString();
        _store.VerifyDownload("ws/a/uploads/x", With(query, "sig", (sig[0] == 'A' ? 'B' : 'A') + sig[1..])).ShouldBeNull();
        _store.VerifyDownload("ws/a/uploads/x", With(query, "sig", "")).ShouldBeNull();
        _store.VerifyDownload("ws/a/uploads/x", With(query, "sig", "not base64!")).ShouldBeNull();
    }

    [Fact]
    public void Signed_urls_stop_working_after_they_expire()
    {
        var url = _store.GetDownloadUrl("ws/a/uploads/x", "a.pdf", "application/pdf", TimeSpan.FromMinutes(5));
        var put = _store.GetUploadUrl("ws/a/uploads/x", "application/pdf", 100, TimeSpan.FromMinutes(5));
        _time.Advance(TimeSpan.FromMinutes(4));
        _store.VerifyDownload("ws/a/uploads/x", Query(url)).ShouldNotBeNull();
        _store.VerifyUpload("ws/a/uploads/x", Query(put.Url)).ShouldNotBeNull();
        _time.Advance(TimeSpan.FromMinutes(2));
        _store.VerifyDownload("ws/a/uploads/x", Query(url)).ShouldBeNull();
        _store.VerifyUpload("ws/a/uploads/x", Query(put.Url)).ShouldBeNull();
    }

    [Fact]
    public void Upload_url_limit_cannot_be_raised_by_the_client()
    {
        var put = _store.GetUploadUrl("ws/a/uploads/x", "application/pdf", 100, TimeSpan.FromMinutes(5));
        var query = Query(put.Url);
        _store.VerifyUpload("ws/a/uploads/x", query)!.MaxBytes.ShouldBe(100);
        _store.VerifyUpload("ws/a/uploads/x", With(query, "max", "100000000")).ShouldBeNull();
        // A download signature must not double as an upload signature.
        var get = Query(_store.GetDownloadUrl("ws/a/uploads/x", "a", "b", TimeSpan.FromMinutes(5)));
        _store.VerifyUpload("ws/a/uploads/x", get).ShouldBeNull();
    }

    [Fact]
    public async Task Single_put_through_the_signed_url_enforces_the_limit_while_streaming()
    {
        var put = _store.GetUploadUrl("ws/a/uploads/x", "text/plain", 10, TimeSpan.FromMinutes(5));
        var upload = _store.VerifyUpload("ws/a/uploads/x", Query(put.Url))!;

        await Should.ThrowAsync<BlobTooLargeException>(() => _store.ReceiveAsync(upload, new MemoryStream(new byte[11]), Ct));
        (await _store.StatAsync("ws/a/uploads/x", Ct)).ShouldBeNull();
        Directory.EnumerateFiles(_store.Root, "*", SearchOption.AllDirectories).ShouldBeEmpty();

        await _store.ReceiveAsync(upload, new MemoryStream(new byte[10]), Ct);
        (await _store.StatAsync("ws/a/uploads/x", Ct))!.Size.ShouldBe(10);
    }

    [Fact]
    public async Task Multipart_parts_are_assembled_in_order_by_streaming()
    {
        const string key = "ws/a/uploads/big";
        var id = await _store.InitiateMultipartAsync(key, "application/octet-stream", Ct);
        var etags = new List<BlobPart>();
        // Upload out of order on purpose: assembly must follow part numbers, not arrival.
        foreach (var n in new[] { 3, 1, 2 })
        {
            var target = _store.GetPartUploadUrl(key, id, n, 1024, TimeSpan.FromMinutes(5));
            var upload = _store.VerifyUpload(key, Query(target.Url))!;
            upload.PartNumber.ShouldBe(n);
            var etag = await _store.ReceiveAsync(upload, new MemoryStream(Encoding.ASCII.GetBytes($"part{n};")), Ct);
            etags.Add(new BlobPart(n, etag));
        }
        (await _store.ListMultipartUploadsAsync("ws/a/", Ct)).ShouldHaveSingleItem().UploadId.ShouldBe(id);
        (await _store.ListPartsAsync(key, id, Ct))!.Select(p => p.PartNumber).ShouldBe([1, 2, 3]);

        await Should.ThrowAsync<BlobIncompleteException>(() => _store.CompleteMultipartAsync(key, id, [new BlobPart(1, "\"wrong\"")], Ct));

        // The SHA-256 comes back from the one pass that assembles the object (the upload's validation does not re-read it).
        var sha256 = await _store.CompleteMultipartAsync(key, id, etags.OrderBy(p => p.PartNumber).ToList(), Ct);
        sha256.ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes("part1;part2;part3;"))));
        await using var read = await _store.OpenReadAsync(key, Ct);
        (await new StreamReader(read).ReadToEndAsync(Ct)).ShouldBe("part1;part2;part3;");
        (await _store.ListMultipartUploadsAsync("ws/", Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_part_url_signed_for_one_key_cannot_write_into_another_keys_upload()
    {
        var id = await _store.InitiateMultipartAsync("ws/a/uploads/one", "x/y", Ct);
        var target = _store.GetPartUploadUrl("ws/b/uploads/two", id, 1, 1024, TimeSpan.FromMinutes(5));
        var upload = _store.VerifyUpload("ws/b/uploads/two", Query(target.Url))!;
        await Should.ThrowAsync<BlobIncompleteException>(() => _store.ReceiveAsync(upload, new MemoryStream([1]), Ct));

        await _store.AbortMultipartAsync("ws/a/uploads/one", id, Ct);
        (await _store.ListMultipartUploadsAsync("ws/", Ct)).ShouldBeEmpty();
    }

    [Fact]
    public void Generated_signing_key_is_persisted_and_reused()
    {
        var options = new BlobStoreOptions { LocalPath = Path.Combine(_dir.FullName, "data", "blobs") };
        var first = LocalBlobSigner.FromOptions(options).Sign("x");
        LocalBlobSigner.FromOptions(options).Sign("x").ShouldBe(first);
        File.Exists(Path.Combine(_dir.FullName, "data", "blob-signing.key")).ShouldBeTrue();
        new LocalBlobSigner(new byte[32]).Sign("x").ShouldNotBe(first);
    }

    [Fact]
    public void Content_disposition_encodes_non_ascii_names_and_neutralizes_quotes()
    {
        var header = ContentDispositionHeader.Attachment("Résumé \"final\"\\v2 日本.pdf");
        header.ShouldBe("attachment; filename=\"R_sum_ _final__v2 __.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%5Cv2%20%E6%97%A5%E6%9C%AC.pdf");

        // What a browser would decode from filename* is the original name.
        var encoded = header[(header.IndexOf("''", StringComparison.Ordinal) + 2)..];
        Uri.UnescapeDataString(encoded).ShouldBe("Résumé \"final\"\\v2 日本.pdf");
        ContentDispositionHeader.Attachment("a\r\nSet-Cookie: x").ShouldNotContain("\r");
    }

    internal static IQueryCollection Query(Uri url) => new QueryCollection(QueryHelpers.ParseQuery(url.Query));

    private static QueryCollection With(IQueryCollection query, string name, string value)
    {
        var dict = query.ToDictionary(kv => kv.Key, kv => kv.Value);
        dict[name] = value;
        return new QueryCollection(dict);
    }
}

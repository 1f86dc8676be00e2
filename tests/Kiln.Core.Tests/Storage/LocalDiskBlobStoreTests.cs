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
    public async Task Multipart_parts_are_written_in_place_and_completion_is_a_rename_with_the_hash_of_the_bytes()
    {
        const string key = "ws/a/uploads/big";
        var id = await _store.InitiateMultipartAsync(key, "application/octet-stream", Ct);
        var bytes = Bytes(3 * PartSize + 100);
        var etags = new List<BlobPart>();
        // Out of order on purpose: the object follows part numbers, not arrival, and what was not hashed on the way
        // in is read back at completion.
        foreach (var n in new[] { 3, 1, 4, 2 }) etags.Add(await SendPartAsync(_store, key, id, n, Slice(bytes, n)));
        (await _store.ListMultipartUploadsAsync("ws/a/", Ct)).ShouldHaveSingleItem().UploadId.ShouldBe(id);
        (await _store.ListPartsAsync(key, id, Ct))!.Select(p => p.PartNumber).ShouldBe([1, 2, 3, 4]);

        await Should.ThrowAsync<BlobIncompleteException>(() => _store.CompleteMultipartAsync(key, id, [new BlobPart(1, "\"wrong\"")], Ct));

        var sha256 = await _store.CompleteMultipartAsync(key, id, etags.OrderBy(p => p.PartNumber).ToList(), Ct);
        sha256.ShouldBe(Sha256(bytes));
        (await ReadAsync(_store, key)).ShouldBe(bytes);
        (await _store.ListMultipartUploadsAsync("ws/", Ct)).ShouldBeEmpty();
        Directory.EnumerateFileSystemEntries(Path.Combine(_store.Root, ".multipart")).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_hash_stays_right_when_parts_go_to_several_processes_and_a_hashed_part_is_sent_again()
    {
        const string key = "ws/a/uploads/spread";
        // A second store over the same root stands for a second web process (or this one after a restart).
        var other = new LocalDiskBlobStore(_store.Root, new LocalBlobSigner(new byte[32]), new Uri("https://kiln.test/"), _time);
        var id = await _store.InitiateMultipartAsync(key, "x/y", Ct);
        var bytes = Bytes(4 * PartSize);
        var etags = new Dictionary<int, BlobPart>();
        foreach (var (n, store) in new[] { (1, _store), (2, _store), (3, other), (4, _store) }) etags[n] = await SendPartAsync(store, key, id, n, Slice(bytes, n));
        // Part 2 again with other bytes, through the other process: the first one's running hash no longer holds.
        var changed = (byte[])bytes.Clone();
        changed[PartSize + 7] ^= 0xFF;
        etags[2] = await SendPartAsync(other, key, id, 2, Slice(changed, 2));
        etags[2].ETag.ShouldNotBe((await _store.ListPartsAsync(key, id, Ct))![0].ETag);

        var sha256 = await _store.CompleteMultipartAsync(key, id, etags.Values.OrderBy(p => p.PartNumber).ToList(), Ct);
        sha256.ShouldBe(Sha256(changed));
        (await ReadAsync(_store, key)).ShouldBe(changed);
    }

    [Fact]
    public async Task Parts_hashed_on_the_way_in_or_caught_up_while_the_upload_goes_on_are_not_read_again_at_completion()
    {
        const string key = "ws/a/uploads/caught-up";
        var other = new LocalDiskBlobStore(_store.Root, new LocalBlobSigner(new byte[32]), new Uri("https://kiln.test/"), _time);
        var id = await _store.InitiateMultipartAsync(key, "x/y", Ct);
        var bytes = Bytes(4 * PartSize);
        var etags = new List<BlobPart>();
        // Bytes changed in the staging file behind the store's back once they were hashed: the hash stays the one of
        // the bytes received, which proves they were not read again (a job's input check would catch such a change).
        async Task TamperAsync(int at)
        {
            await using var staging = new FileStream(Path.Combine(_store.Root, ".multipart", id, "data"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            staging.Position = at;
            staging.WriteByte((byte)(bytes[at] ^ 0xFF));
        }

        // Part 2 arrives before part 1 (parts sent side by side): part 1 hashes itself, then part 2 from the file.
        foreach (var n in new[] { 2, 1 }) etags.Add(await SendPartAsync(_store, key, id, n, Slice(bytes, n)));
        await TamperAsync(PartSize + 10);
        // Part 3 goes to another process; part 4 hashes it from the file, then itself on the way in.
        etags.Add(await SendPartAsync(other, key, id, 3, Slice(bytes, 3)));
        etags.Add(await SendPartAsync(_store, key, id, 4, Slice(bytes, 4)));
        await TamperAsync(2 * PartSize + 10);

        (await _store.CompleteMultipartAsync(key, id, etags.OrderBy(p => p.PartNumber).ToList(), Ct)).ShouldBe(Sha256(bytes));
    }

    [Fact]
    public async Task In_order_parts_hashed_on_the_way_in_give_the_same_hash_and_unlisted_parts_are_dropped()
    {
        const string key = "ws/a/uploads/ordered";
        var id = await _store.InitiateMultipartAsync(key, "x/y", Ct);
        var bytes = Bytes(2 * PartSize + 5);
        var etags = new List<BlobPart>();
        for (var n = 1; n <= 3; n++) etags.Add(await SendPartAsync(_store, key, id, n, Slice(bytes, n)));
        await SendPartAsync(_store, key, id, 4, Bytes(PartSize)); // sent, then left out of the completion

        (await _store.CompleteMultipartAsync(key, id, etags, Ct)).ShouldBe(Sha256(bytes));
        (await _store.StatAsync(key, Ct))!.Size.ShouldBe(bytes.Length);
        (await ReadAsync(_store, key)).ShouldBe(bytes);
    }

    [Fact]
    public async Task Large_parts_arriving_in_uneven_reads_are_written_and_hashed_whole()
    {
        // Parts bigger than the 1 MiB copy buffer, trickled in reads of odd sizes: every buffer boundary falls inside a
        // read, and the running hash still covers exactly the bytes of the object.
        const string key = "ws/a/uploads/trickled";
        const int partSize = (1 << 20) + 12_345;
        var id = await _store.InitiateMultipartAsync(key, "x/y", Ct);
        var bytes = Bytes(2 * partSize + 70_001);
        var etags = new List<BlobPart>();
        for (var n = 1; n <= 3; n++)
        {
            var start = (n - 1) * partSize;
            var body = new TrickleStream(bytes[start..Math.Min(bytes.Length, start + partSize)], 7_919);
            var upload = _store.VerifyUpload(key, Query(_store.GetPartUploadUrl(key, id, n, partSize, TimeSpan.FromMinutes(5)).Url))!;
            etags.Add(new BlobPart(n, await _store.ReceiveAsync(upload, body, Ct)));
        }

        (await _store.CompleteMultipartAsync(key, id, etags, Ct)).ShouldBe(Sha256(bytes));
        (await ReadAsync(_store, key)).ShouldBe(bytes);
    }

    [Fact]
    public async Task A_part_longer_than_its_signed_size_is_refused_missing_and_can_be_sent_again()
    {
        const string key = "ws/a/uploads/too-long";
        const int partSize = 600_000;
        var id = await _store.InitiateMultipartAsync(key, "x/y", Ct);
        var bytes = Bytes(2 * partSize);
        var url = (int n) => _store.VerifyUpload(key, Query(_store.GetPartUploadUrl(key, id, n, partSize, TimeSpan.FromMinutes(5)).Url))!;
        var first = new BlobPart(1, await _store.ReceiveAsync(url(1), new TrickleStream(bytes[..partSize], 65_536), Ct));
        // One byte too many, arriving with the last read: refused before it is written over part 2's first byte.
        var tooLong = bytes[partSize..].Append((byte)0xAB).ToArray();
        await Should.ThrowAsync<BlobTooLargeException>(() => _store.ReceiveAsync(url(2), new TrickleStream(tooLong, 100_000), Ct));
        (await _store.ListPartsAsync(key, id, Ct))!.Select(p => p.PartNumber).ShouldBe([1]);
        await Should.ThrowAsync<BlobIncompleteException>(() => _store.CompleteMultipartAsync(key, id, [first, new BlobPart(2, "\"x\"")], Ct));

        var second = new BlobPart(2, await _store.ReceiveAsync(url(2), new TrickleStream(bytes[partSize..], 100_000), Ct));
        (await _store.CompleteMultipartAsync(key, id, [first, second], Ct)).ShouldBe(Sha256(bytes));
        (await ReadAsync(_store, key)).ShouldBe(bytes);
    }

    /// <summary>A request body that hands out its bytes <paramref name="chunk"/> at a time, as a network does.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : RequestBody
    {
        private int _at;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(Math.Min(chunk, buffer.Length), bytes.Length - _at);
            bytes.AsSpan(_at, n).CopyTo(buffer.Span);
            _at += n;
            return ValueTask.FromResult(n);
        }
    }

    [Fact]
    public async Task Completion_refuses_gaps_and_short_parts_and_keeps_the_upload_for_a_retry()
    {
        const string key = "ws/a/uploads/holes";
        var id = await _store.InitiateMultipartAsync(key, "x/y", Ct);
        var bytes = Bytes(2 * PartSize + 10);
        var p1 = await SendPartAsync(_store, key, id, 1, Slice(bytes, 1));
        var p3 = await SendPartAsync(_store, key, id, 3, Slice(bytes, 3));

        (await Should.ThrowAsync<BlobIncompleteException>(() => _store.CompleteMultipartAsync(key, id, [p1, p3], Ct))).Message.ShouldContain("Part 2");
        var p2 = await SendPartAsync(_store, key, id, 2, Slice(bytes, 2)[..^1]);
        (await Should.ThrowAsync<BlobIncompleteException>(() => _store.CompleteMultipartAsync(key, id, [p1, p2, p3], Ct))).Message.ShouldContain("every part but the last");

        // The short part sent again in full: the upload was kept, and completes.
        p2 = await SendPartAsync(_store, key, id, 2, Slice(bytes, 2));
        (await _store.CompleteMultipartAsync(key, id, [p1, p2, p3], Ct)).ShouldBe(Sha256(bytes));
        (await ReadAsync(_store, key)).ShouldBe(bytes);
    }

    [Fact]
    public async Task A_part_in_flight_blocks_its_own_retry_and_completion_and_an_abort_leaves_nothing_behind()
    {
        const string key = "ws/a/uploads/busy";
        var id = await _store.InitiateMultipartAsync(key, "x/y", Ct);
        var p1 = await SendPartAsync(_store, key, id, 1, Bytes(PartSize));
        var body = new StalledStream(Bytes(100));
        var inFlight = SendPartAsync(_store, key, id, 2, body);
        await body.Started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        await Should.ThrowAsync<BlobPartBusyException>(() => SendPartAsync(_store, key, id, 2, Bytes(10)));
        (await Should.ThrowAsync<BlobIncompleteException>(() => _store.CompleteMultipartAsync(key, id, [p1], Ct))).Message.ShouldContain("still being sent");

        // Deleting the upload does not wait for the part; the part then fails and nothing is left on disk.
        await _store.AbortMultipartAsync(key, id, Ct);
        body.Release.SetResult();
        await Should.ThrowAsync<BlobIncompleteException>(() => inFlight);
        await Should.ThrowAsync<BlobIncompleteException>(() => SendPartAsync(_store, key, id, 3, Bytes(10)));
        (await _store.StatAsync(key, Ct)).ShouldBeNull();
        Directory.EnumerateFileSystemEntries(_store.Root, "*", SearchOption.AllDirectories).Where(e => !e.EndsWith(".multipart", StringComparison.Ordinal)).ShouldBeEmpty();

        // A staging directory renamed away but not deleted (a crash in between) goes at the sweeper's next listing.
        var leftover = Directory.CreateDirectory(Path.Combine(_store.Root, ".multipart", ".trash-crashed"));
        await File.WriteAllTextAsync(Path.Combine(leftover.FullName, "key"), key, Ct);
        (await _store.ListMultipartUploadsAsync("ws/", Ct)).ShouldBeEmpty();
        Directory.Exists(leftover.FullName).ShouldBeFalse();
    }

    private const int PartSize = 4096;

    private static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Slice(byte[] bytes, int partNumber)
    {
        var start = (partNumber - 1) * PartSize;
        return bytes[start..Math.Min(bytes.Length, start + PartSize)];
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    private static async Task<byte[]> ReadAsync(LocalDiskBlobStore store, string key)
    {
        await using var read = await store.OpenReadAsync(key, Ct);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    private static Task<BlobPart> SendPartAsync(LocalDiskBlobStore store, string key, string id, int n, byte[] body) =>
        SendPartAsync(store, key, id, n, new MemoryStream(body));

    private static async Task<BlobPart> SendPartAsync(LocalDiskBlobStore store, string key, string id, int n, Stream body)
    {
        var upload = store.VerifyUpload(key, Query(store.GetPartUploadUrl(key, id, n, PartSize, TimeSpan.FromMinutes(5)).Url))!;
        upload.PartNumber.ShouldBe(n);
        return new BlobPart(n, await store.ReceiveAsync(upload, body, Ct));
    }

    /// <summary>A request body that sends its first bytes, then waits until released: a part still in flight.</summary>
    private sealed class StalledStream(byte[] first) : RequestBody
    {
        private bool _sent;
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_sent)
            {
                _sent = true;
                first.CopyTo(buffer);
                Started.SetResult();
                return first.Length;
            }
            await Release.Task.WaitAsync(cancellationToken);
            return 0;
        }
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

    /// <summary>A request body as Kestrel hands it over: read asynchronously, forward only, no length.</summary>
    private abstract class RequestBody : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

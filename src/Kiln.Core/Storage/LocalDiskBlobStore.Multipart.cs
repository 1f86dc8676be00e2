using System.Globalization;
using System.Security.Cryptography;
using Kiln.Core.Common;

namespace Kiln.Core.Storage;

/// <summary>
/// Multipart uploads for the local store, with S3's contract: parts land in a staging directory
/// (<c>{root}/.multipart/{uploadId}/</c>, unreachable by any valid key) and completion streams them into the object.
/// </summary>
public sealed partial class LocalDiskBlobStore
{
    private const string KeyFile = "key";

    private string StagingRoot => Path.Combine(_root, ".multipart");

    public Task<string> InitiateMultipartAsync(string key, string contentType, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        var uploadId = Ids.Token(16);
        var dir = Directory.CreateDirectory(Path.Combine(StagingRoot, uploadId)).FullName;
        File.WriteAllText(Path.Combine(dir, KeyFile), key);
        return Task.FromResult(uploadId);
    }

    public BlobUploadTarget GetPartUploadUrl(string key, string uploadId, int partNumber, long maxBytes, TimeSpan lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        return UploadTarget(key, uploadId, partNumber, maxBytes, lifetime, contentType: null);
    }

    public Task<IReadOnlyList<BlobPart>?> ListPartsAsync(string key, string uploadId, CancellationToken ct)
    {
        var dir = StagingDir(key, uploadId);
        IReadOnlyList<BlobPart>? parts = dir is null ? null : ReadParts(dir);
        return Task.FromResult(parts);
    }

    /// <summary>
    /// Streams the parts into the object and returns its SHA-256, hashed on the way through: the bytes are read once,
    /// not once more by the upload's validation (a 1 GiB upload spent about 4 s re-reading itself).
    /// </summary>
    public async Task<string?> CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<BlobPart> parts, CancellationToken ct)
    {
        var dir = StagingDir(key, uploadId) ?? throw new BlobIncompleteException("The multipart upload does not exist.");
        if (parts.Count == 0) throw new BlobIncompleteException("No parts were given.");
        var stored = ReadParts(dir).ToDictionary(p => p.PartNumber, p => p.ETag);
        var previous = 0;
        foreach (var part in parts)
        {
            if (part.PartNumber <= previous) throw new BlobIncompleteException("Parts must be listed in ascending order.");
            previous = part.PartNumber;
            if (!stored.TryGetValue(part.PartNumber, out var etag)) throw new BlobIncompleteException($"Part {part.PartNumber} was not uploaded.");
            if (!string.Equals(etag.Trim('"'), part.ETag.Trim('"'), StringComparison.Ordinal))
                throw new BlobIncompleteException($"Part {part.PartNumber} does not match its ETag.");
        }

        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var assembled = new PartsStream(parts.Select(p => PartPath(dir, p.PartNumber)).ToList()))
        {
            await WriteAtomicAsync(PathFor(key), assembled, long.MaxValue, ct, observe: chunk => sha256.AppendData(chunk.Span));
        }
        Directory.Delete(dir, recursive: true);
        return Convert.ToHexStringLower(sha256.GetHashAndReset());
    }

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken ct)
    {
        var dir = StagingDir(key, uploadId);
        if (dir is not null) Directory.Delete(dir, recursive: true);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<MultipartUploadInfo>> ListMultipartUploadsAsync(string prefix, CancellationToken ct)
    {
        var result = new List<MultipartUploadInfo>();
        if (Directory.Exists(StagingRoot))
        {
            foreach (var dir in Directory.EnumerateDirectories(StagingRoot))
            {
                var keyFile = Path.Combine(dir, KeyFile);
                if (!File.Exists(keyFile)) continue;
                var key = File.ReadAllText(keyFile);
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                result.Add(new MultipartUploadInfo(key, Path.GetFileName(dir), new DateTimeOffset(Directory.GetCreationTimeUtc(dir), TimeSpan.Zero)));
            }
        }
        return Task.FromResult<IReadOnlyList<MultipartUploadInfo>>(result);
    }

    private async Task<string> WritePartAsync(LocalBlobUpload upload, Stream body, CancellationToken ct)
    {
        var dir = StagingDir(upload.Key, upload.UploadId!) ?? throw new BlobIncompleteException("The multipart upload does not exist.");
        if (upload.PartNumber is not (>= 1 and <= 10000)) throw new BlobIncompleteException("Part numbers run from 1 to 10000.");
        var path = PartPath(dir, upload.PartNumber.Value);
        var temp = Path.Combine(dir, $".tmp-{Guid.NewGuid():N}");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                await CopyLimitedAsync(body, file, upload.MaxBytes, ct, chunk => hash.AppendData(chunk.Span));
            }
            var etag = Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 16));
            // The ETag file is written before the part appears, so a listed part always has its ETag.
            await File.WriteAllTextAsync(path + ".etag", etag, ct);
            File.Move(temp, path, overwrite: true);
            return $"\"{etag}\"";
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private string? StagingDir(string key, string uploadId)
    {
        if (uploadId.Length is 0 or > 64 || !uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return null;
        var dir = Path.Combine(StagingRoot, uploadId);
        var keyFile = Path.Combine(dir, KeyFile);
        // The upload id alone is not enough: a URL signed for one key must not write into another key's upload.
        return File.Exists(keyFile) && File.ReadAllText(keyFile) == key ? dir : null;
    }

    private static string PartPath(string dir, int partNumber) =>
        Path.Combine(dir, partNumber.ToString("D5", CultureInfo.InvariantCulture) + ".part");

    private static List<BlobPart> ReadParts(string dir)
    {
        var parts = new List<BlobPart>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.part"))
        {
            var etagFile = file + ".etag";
            if (!int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || !File.Exists(etagFile)) continue;
            parts.Add(new BlobPart(n, $"\"{File.ReadAllText(etagFile).Trim()}\""));
        }
        parts.Sort((a, b) => a.PartNumber.CompareTo(b.PartNumber));
        return parts;
    }

    /// <summary>Reads part files back to back, one open file at a time.</summary>
    private sealed class PartsStream(IReadOnlyList<string> paths) : Stream
    {
        private int _index;
        private FileStream? _current;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_index < paths.Count)
            {
                _current ??= new FileStream(paths[_index], FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
                var read = await _current.ReadAsync(buffer, cancellationToken);
                if (read > 0) return read;
                await _current.DisposeAsync();
                _current = null;
                _index++;
            }
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _current?.Dispose();
            base.Dispose(disposing);
        }
    }
}

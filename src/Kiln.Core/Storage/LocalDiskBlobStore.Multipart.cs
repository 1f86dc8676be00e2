using System.Globalization;
using System.Security.Cryptography;
using Kiln.Core.Common;

namespace Kiln.Core.Storage;

/// <summary>
/// Multipart uploads for the local store, with S3's contract but without a second copy of the bytes: every part is
/// written in place at <c>(n − 1) × partSize</c> of one sparse staging file, so completion is a rename. The staging
/// directory <c>{root}/.multipart/{uploadId}/</c> (unreachable by any valid key) holds
/// <list type="bullet">
/// <item><c>key</c>: the object key, so a URL signed for another key cannot write here;</item>
/// <item><c>data</c>: the object being built. A part writes it under a shared lock, completion takes it exclusively,
/// so no part can write into an object once it is complete;</item>
/// <item><c>NNNNN.rec</c>: a stored part's ETag, length and part size, written after its bytes (and removed before a
/// part is sent again, so a part that failed halfway is missing, not silently half-new);</item>
/// <item><c>NNNNN.lock</c>: held while part N is written, so two writes of one part never interleave.</item>
/// </list>
/// The SHA-256 a job checks its inputs against is computed while the parts arrive: the process that receives the parts
/// in order hashes them on the way through, and completion reads back only what it did not hash (parts that came out
/// of order, went to another process, or arrived before a restart).
/// </summary>
public sealed partial class LocalDiskBlobStore
{
    private const string KeyFile = "key";
    private const string DataFile = "data";
    private const string TrashPrefix = ".trash-";
    private const int ReadBackBufferSize = 1 << 20;
    /// <summary>Reads of the request body into one 1 MiB buffer: an 8 MiB part is 8+ writes, not 100+.</summary>
    private const int PartBufferSize = 1 << 20;

    private string StagingRoot => Path.Combine(_root, ".multipart");

    public Task<string> InitiateMultipartAsync(string key, string contentType, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        var uploadId = Ids.Token(16);
        var dir = Directory.CreateDirectory(Path.Combine(StagingRoot, uploadId)).FullName;
        File.Create(Path.Combine(dir, DataFile)).Dispose();
        // The key file last: a directory without it is not an upload (StagingDir), so a half-initiated one takes no part.
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
        IReadOnlyList<BlobPart>? parts = dir is null ? null : ReadParts(dir).Values.Select(p => new BlobPart(p.Number, Quoted(p.ETag))).ToList();
        return Task.FromResult(parts);
    }

    /// <summary>
    /// Makes the staging file the object (a rename: its parts are already in place) and returns its SHA-256. The parts
    /// must be 1…N without gaps and every part but the last exactly the part size, as the upload API hands them out.
    /// The bytes are flushed to disk before the object appears, like an object store that acknowledges durable objects.
    /// </summary>
    public async Task<string?> CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<BlobPart> parts, CancellationToken ct)
    {
        var dir = StagingDir(key, uploadId) ?? throw new BlobIncompleteException("The multipart upload does not exist.");
        if (parts.Count == 0) throw new BlobIncompleteException("No parts were given.");
        var dataPath = Path.Combine(dir, DataFile);
        FileStream data;
        try
        {
            // Exclusive: waits for no one. A part still being written holds the shared lock, and completing under it
            // would let that part write into the finished object.
            data = new FileStream(dataPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobIncompleteException("The multipart upload does not exist.");
        }
        catch (IOException e)
        {
            throw new BlobIncompleteException("A part of this upload is still being sent; complete it once every part has been answered.", e);
        }

        await using (data)
        {
            var stored = ReadParts(dir);
            var total = CheckParts(parts, stored);
            using var sha256 = TakeVerifiedPrefix(uploadId, parts, stored, total, out var hashed);
            if (data.Length != total) data.SetLength(total); // parts uploaded but not listed are dropped, as on S3
            await ReadBackAsync(data, hashed, total, sha256, ct);
            data.Flush(flushToDisk: true);

            var target = PathFor(key);
            var targetDir = Path.GetDirectoryName(target)!;
            Directory.CreateDirectory(targetDir);
            File.Move(dataPath, target, overwrite: true);
            FsyncDirectory(targetDir);
            RemoveStaging(dir, uploadId);
            return Convert.ToHexStringLower(sha256.GetHashAndReset());
        }
    }

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken ct)
    {
        var dir = StagingDir(key, uploadId);
        if (dir is not null) RemoveStaging(dir, uploadId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<MultipartUploadInfo>> ListMultipartUploadsAsync(string prefix, CancellationToken ct)
    {
        var result = new List<MultipartUploadInfo>();
        if (Directory.Exists(StagingRoot))
        {
            foreach (var dir in Directory.EnumerateDirectories(StagingRoot))
            {
                if (Path.GetFileName(dir).StartsWith(TrashPrefix, StringComparison.Ordinal))
                {
                    DeleteTrash(dir);
                    continue;
                }
                var keyFile = Path.Combine(dir, KeyFile);
                if (!File.Exists(keyFile)) continue;
                string key;
                try
                {
                    key = File.ReadAllText(keyFile);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    continue; // completed or aborted meanwhile
                }
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                result.Add(new MultipartUploadInfo(key, Path.GetFileName(dir), new DateTimeOffset(Directory.GetCreationTimeUtc(dir), TimeSpan.Zero)));
            }
        }
        return Task.FromResult<IReadOnlyList<MultipartUploadInfo>>(result);
    }

    private async Task<string> WritePartAsync(LocalBlobUpload upload, Stream body, CancellationToken ct)
    {
        var uploadId = upload.UploadId!;
        var dir = StagingDir(upload.Key, uploadId) ?? throw new BlobIncompleteException("The multipart upload does not exist.");
        if (upload.PartNumber is not (>= 1 and <= 10000) || upload.MaxBytes <= 0) throw new BlobIncompleteException("Part numbers run from 1 to 10000.");
        var number = upload.PartNumber.Value;
        var partSize = upload.MaxBytes; // signed into the URL, so the offset is the server's, not the client's
        var offset = checked((number - 1) * partSize);

        FileStream data, partLock;
        try
        {
            // Shared: parts go in side by side; completion cannot take the file while any of them writes.
            data = new FileStream(Path.Combine(dir, DataFile), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobIncompleteException("The multipart upload does not exist.");
        }
        catch (IOException e)
        {
            throw new BlobIncompleteException("The upload is being completed; it takes no more parts.", e);
        }
        await using (data)
        {
            try
            {
                partLock = new FileStream(LockPath(dir, number), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new BlobIncompleteException("The multipart upload does not exist.");
            }
            catch (IOException e)
            {
                throw new BlobPartBusyException(number, e);
            }
            using (partLock)
            {
                // Completed or aborted between finding the directory and locking the file: nothing may be written.
                if (!File.Exists(Path.Combine(dir, KeyFile))) throw new BlobIncompleteException("The multipart upload does not exist.");
                // Until the new bytes are all in, the part is missing: a retry that fails halfway must not leave the
                // old ETag pointing at half-new bytes.
                File.Delete(RecordPath(dir, number));
                var prefix = await TakePrefixForAsync(uploadId, dir, data.SafeFileHandle, number, offset, ct);
                try
                {
                    data.Position = offset;
                    var length = await CopyLimitedAsync(body, data, partSize, ct, prefix is null ? null : chunk => prefix.Sha256.AppendData(chunk.Span), PartBufferSize);
                    StartWriteback(data.Name, offset, length);
                    // The ETag names this write, not a hash of it: hashing every part a second time only to name it
                    // cost as much CPU as receiving it. A part sent again gets a new ETag, as its bytes were replaced.
                    var etag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                    var temp = Path.Combine(dir, $".tmp-{Guid.NewGuid():N}");
                    await File.WriteAllTextAsync(temp, string.Create(CultureInfo.InvariantCulture, $"{etag} {length} {partSize}"), ct);
                    File.Move(temp, RecordPath(dir, number), overwrite: true);
                    if (prefix is not null) prefix.Add(etag, length);
                    else prefix = TakePrefix(uploadId);
                    // Parts sent side by side (a browser sends several at once) finish out of order: whoever finds the
                    // prefix free hashes the stored parts that continue it, from the page cache, while the upload goes on.
                    if (prefix is not null) await CatchUpAsync(prefix, dir, data.SafeFileHandle, int.MaxValue, ct);
                    ReturnPrefix(uploadId, ref prefix);
                    return Quoted(etag);
                }
                catch (DirectoryNotFoundException)
                {
                    throw new BlobIncompleteException("The multipart upload no longer exists.");
                }
                finally
                {
                    prefix?.Dispose(); // what it saw did not all become stored parts
                }
            }
        }
    }

    /// <summary>Checks the listed parts against the stored ones and returns the object's length.</summary>
    private static long CheckParts(IReadOnlyList<BlobPart> parts, IReadOnlyDictionary<int, StoredPart> stored)
    {
        long partSize = 0, total = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            if (i > 0 && part.PartNumber <= parts[i - 1].PartNumber) throw new BlobIncompleteException("Parts must be listed in ascending order.");
            if (!stored.TryGetValue(part.PartNumber, out var s)) throw new BlobIncompleteException($"Part {part.PartNumber} was not uploaded.");
            if (!string.Equals(s.ETag, part.ETag.Trim('"'), StringComparison.Ordinal))
                throw new BlobIncompleteException($"Part {part.PartNumber} does not match its ETag.");
            // Each part sits at its offset in the file, so a gap would be a hole of zeros in the object.
            if (part.PartNumber != i + 1) throw new BlobIncompleteException($"Part {i + 1} was not uploaded.");
            if (i == 0) partSize = s.PartSize;
            if (s.PartSize != partSize) throw new BlobIncompleteException($"Part {part.PartNumber} was sent to a link for another part size.");
            if (i < parts.Count - 1 && s.Length != partSize)
                throw new BlobIncompleteException($"Part {part.PartNumber} has {s.Length} bytes; every part but the last must have {partSize}.");
            total += s.Length;
        }
        return total;
    }

    private static async Task ReadBackAsync(FileStream data, long from, long to, IncrementalHash sha256, CancellationToken ct)
    {
        if (from >= to) return;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ReadBackBufferSize);
        try
        {
            data.Position = from;
            var left = to - from;
            while (left > 0)
            {
                var read = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct);
                if (read == 0) throw new BlobIncompleteException("The upload's staging file is shorter than its parts.");
                sha256.AppendData(buffer, 0, read);
                left -= read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Renames the staging directory away (atomic: a part arriving meanwhile finds no upload), then deletes it.
    /// Leftovers (a crash in between) are removed by the next listing, which the upload sweeper runs.
    /// </summary>
    private void RemoveStaging(string dir, string uploadId)
    {
        if (_prefixHashes.TryRemove(uploadId, out var prefix)) prefix.Dispose();
        var trash = Path.Combine(StagingRoot, TrashPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.Move(dir, trash);
        }
        catch (DirectoryNotFoundException)
        {
            return; // removed by someone else
        }
        DeleteTrash(trash);
    }

    private static void DeleteTrash(string trash)
    {
        try
        {
            Directory.Delete(trash, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Being deleted by another caller, or not deletable now: the next listing tries again.
        }
    }

    private string? StagingDir(string key, string uploadId)
    {
        if (uploadId.Length is 0 or > 64 || !uploadId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return null;
        var dir = Path.Combine(StagingRoot, uploadId);
        var keyFile = Path.Combine(dir, KeyFile);
        // The upload id alone is not enough: a URL signed for one key must not write into another key's upload.
        try
        {
            return File.Exists(keyFile) && File.ReadAllText(keyFile) == key ? dir : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static string RecordPath(string dir, int partNumber) =>
        Path.Combine(dir, partNumber.ToString("D5", CultureInfo.InvariantCulture) + ".rec");

    private static string LockPath(string dir, int partNumber) =>
        Path.Combine(dir, partNumber.ToString("D5", CultureInfo.InvariantCulture) + ".lock");

    private static string Quoted(string etag) => $"\"{etag}\"";

    private static SortedDictionary<int, StoredPart> ReadParts(string dir)
    {
        var parts = new SortedDictionary<int, StoredPart>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.rec"))
        {
            if (int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && ReadRecord(dir, n) is { } part)
                parts[n] = part;
        }
        return parts;
    }

    /// <summary>Part <paramref name="number"/>'s record, or null while it is not (or being) stored.</summary>
    private static StoredPart? ReadRecord(string dir, int number)
    {
        string[] fields;
        try
        {
            fields = File.ReadAllText(RecordPath(dir, number)).Split(' ');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        if (fields.Length != 3 || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)) return null;
        return new StoredPart(number, fields[0], length, size);
    }

    private sealed record StoredPart(int Number, string ETag, long Length, long PartSize);

}

/// <summary>Another request is sending the same part of a multipart upload right now.</summary>
public sealed class BlobPartBusyException(int partNumber, Exception? inner = null)
    : Exception($"Part {partNumber} is being sent by another request; send it again when that one has been answered.", inner);

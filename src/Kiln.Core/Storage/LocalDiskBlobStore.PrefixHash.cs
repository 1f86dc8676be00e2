using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Kiln.Core.Storage;

/// <summary>
/// The SHA-256 of a local multipart upload, computed while its parts arrive (see LocalDiskBlobStore.Multipart.cs): a
/// running hash of the in-order prefix per upload in the process that receives the parts, extended on the way in or
/// from the page cache, and trusted at completion only if every part it saw is still the stored write.
/// </summary>
public sealed partial class LocalDiskBlobStore
{
    /// <summary>The in-order prefix hashed so far, per multipart upload received by this process.</summary>
    private readonly ConcurrentDictionary<string, PrefixHash> _prefixHashes = new(StringComparer.Ordinal);

    /// <summary>
    /// The hash of the in-order prefix when part <paramref name="number"/> continues it (taken: one writer at a time),
    /// after hashing the stored parts between, a fresh one for part 1, or null when this part cannot continue it now.
    /// </summary>
    private async Task<PrefixHash?> TakePrefixForAsync(string uploadId, string dir, SafeFileHandle data, int number, long offset, CancellationToken ct)
    {
        if (number == 1)
        {
            if (_prefixHashes.TryRemove(uploadId, out var old)) old.Dispose();
            ForgetAbandonedPrefixes();
            return new PrefixHash();
        }
        var prefix = TakePrefix(uploadId);
        if (prefix is null) return null;
        try
        {
            // Parts another process (or an earlier run of this one) stored since: hash them first, then this one inline.
            await CatchUpAsync(prefix, dir, data, number - 1, ct);
        }
        catch
        {
            prefix.Dispose();
            throw;
        }
        if (prefix.NextPart == number && prefix.Length == offset) return prefix;
        ReturnPrefix(uploadId, ref prefix);
        return null;
    }

    private PrefixHash? TakePrefix(string uploadId) => _prefixHashes.TryRemove(uploadId, out var prefix) ? prefix : null;

    private void ReturnPrefix(string uploadId, ref PrefixHash? prefix)
    {
        // Another one there means part 1 was sent again meanwhile: this one is stale.
        if (prefix is not null && !_prefixHashes.TryAdd(uploadId, prefix)) prefix.Dispose();
        prefix = null;
    }

    /// <summary>
    /// Extends <paramref name="prefix"/> over the stored parts that continue it, up to part <paramref name="upTo"/>,
    /// reading their bytes back. A part rewritten meanwhile gets a new ETag, which completion then sees.
    /// </summary>
    private static async Task CatchUpAsync(PrefixHash prefix, string dir, SafeFileHandle data, int upTo, CancellationToken ct)
    {
        byte[]? buffer = null;
        try
        {
            while (prefix.NextPart <= upTo && ReadRecord(dir, prefix.NextPart) is { } part && prefix.Length == (long)(part.Number - 1) * part.PartSize)
            {
                buffer ??= System.Buffers.ArrayPool<byte>.Shared.Rent(ReadBackBufferSize);
                for (long at = prefix.Length, end = prefix.Length + part.Length; at < end;)
                {
                    var read = await RandomAccess.ReadAsync(data, buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - at)), at, ct);
                    if (read == 0) throw new BlobIncompleteException("The upload's staging file is shorter than its parts.");
                    prefix.Sha256.AppendData(buffer, 0, read);
                    at += read;
                }
                prefix.Add(part.ETag, part.Length);
            }
        }
        finally
        {
            if (buffer is not null) System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The prefix hash when every part it saw is still the stored one (same ETag, so the same write) and lies inside
    /// the object; otherwise a fresh hash and everything is read back. <paramref name="hashed"/>: bytes already hashed.
    /// </summary>
    private IncrementalHash TakeVerifiedPrefix(string uploadId, IReadOnlyList<BlobPart> parts, IReadOnlyDictionary<int, StoredPart> stored, long total, out long hashed)
    {
        hashed = 0;
        if (!_prefixHashes.TryRemove(uploadId, out var prefix)) return IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var valid = prefix.ETags.Count <= parts.Count && prefix.Length <= total;
        for (var i = 0; valid && i < prefix.ETags.Count; i++)
            valid = stored.TryGetValue(i + 1, out var part) && part.ETag == prefix.ETags[i];
        if (!valid)
        {
            prefix.Dispose();
            return IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
        hashed = prefix.Length;
        return prefix.Release();
    }

    /// <summary>Drops hash states of uploads whose staging directory is gone (completed or aborted by another process).</summary>
    private void ForgetAbandonedPrefixes()
    {
        if (_prefixHashes.Count < 64) return;
        foreach (var (id, _) in _prefixHashes)
        {
            if (!Directory.Exists(Path.Combine(StagingRoot, id)) && _prefixHashes.TryRemove(id, out var gone)) gone.Dispose();
        }
    }

    /// <summary>A running SHA-256 of parts 1…NextPart−1, and which writes of them it saw.</summary>
    private sealed class PrefixHash : IDisposable
    {
        private IncrementalHash? _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public IncrementalHash Sha256 => _sha256 ?? throw new ObjectDisposedException(nameof(PrefixHash));
        public List<string> ETags { get; } = [];
        public long Length { get; private set; }
        public int NextPart => ETags.Count + 1;

        public void Add(string etag, long length)
        {
            ETags.Add(etag);
            Length += length;
        }

        /// <summary>Hands the hash to the caller, who disposes it.</summary>
        public IncrementalHash Release()
        {
            var sha256 = Sha256;
            _sha256 = null;
            return sha256;
        }

        public void Dispose()
        {
            _sha256?.Dispose();
            _sha256 = null;
        }
    }
}

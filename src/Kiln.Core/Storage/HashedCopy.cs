using System.Buffers;
using System.Security.Cryptography;

namespace Kiln.Core.Storage;

/// <summary>
/// Copies a stream into another while hashing it, with the network and the disk side by side: while one chunk is
/// hashed and written (on another thread), the next is read. Used where an object is downloaded to be checked (an S3
/// upload's validation): on two cores receiving, hashing and writing no longer take turns.
/// </summary>
public static class HashedCopy
{
    public const int ChunkSize = 1 << 20;

    /// <summary>
    /// Copies at most <paramref name="maxBytes"/> (<see cref="BlobTooLargeException"/> the moment the source has more)
    /// and appends exactly the bytes written, in order, to <paramref name="sha256"/>. Returns the length.
    /// </summary>
    public static async Task<long> CopyAsync(Stream source, Stream destination, long maxBytes, IncrementalHash sha256, CancellationToken ct)
    {
        var pool = ArrayPool<byte>.Shared;
        byte[] reading = pool.Rent(ChunkSize), other = pool.Rent(ChunkSize);
        var pending = Task.CompletedTask;
        try
        {
            long total = 0;
            while (true)
            {
                var read = await source.ReadAtLeastAsync(reading.AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, ct);
                await pending; // the previous chunk is hashed and written: its buffer is free
                if (read == 0) return total;
                total += read;
                if (total > maxBytes) throw new BlobTooLargeException(maxBytes);
                var chunk = reading;
                pending = Task.Run(async () =>
                {
                    sha256.AppendData(chunk, 0, read);
                    await destination.WriteAsync(chunk.AsMemory(0, read), ct);
                }, ct);
                (reading, other) = (other, reading);
            }
        }
        finally
        {
            // A buffer goes back to the pool only once nothing uses it.
            try
            {
                await pending;
            }
            catch (Exception)
            {
                // Already reported by the loop (or superseded by the exception that ended it).
            }
            pool.Return(reading);
            pool.Return(other);
        }
    }
}

using System.Security.Cryptography;
using Kiln.Core.Storage;

namespace Kiln.Core.Tests.Storage;

/// <summary>The copy an S3 upload's validation spools through: the hash is of exactly the bytes written, in order.</summary>
public sealed class HashedCopyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(HashedCopy.ChunkSize)]
    [InlineData(3 * HashedCopy.ChunkSize + 4_321)]
    public async Task Copies_every_byte_in_order_and_hashes_exactly_them(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var target = new MemoryStream();

        // Reads of odd sizes, as from a socket: chunks are filled across them.
        var copied = await HashedCopy.CopyAsync(new ChunkedStream(bytes, 65_521), target, long.MaxValue, sha256, Ct);

        copied.ShouldBe(length);
        target.ToArray().ShouldBe(bytes);
        Convert.ToHexStringLower(sha256.GetHashAndReset()).ShouldBe(Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public async Task Stops_at_the_limit()
    {
        var bytes = new byte[2 * HashedCopy.ChunkSize + 10];
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var ex = await Should.ThrowAsync<BlobTooLargeException>(() =>
            HashedCopy.CopyAsync(new ChunkedStream(bytes, 100_000), new MemoryStream(), 2 * HashedCopy.ChunkSize + 9, sha256, Ct));
        ex.Limit.ShouldBe(2 * HashedCopy.ChunkSize + 9);
    }

    [Fact]
    public async Task A_failing_write_is_reported()
    {
        var bytes = new byte[3 * HashedCopy.ChunkSize];
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await Should.ThrowAsync<IOException>(() => HashedCopy.CopyAsync(new ChunkedStream(bytes, 1 << 20), new FullDisk(), long.MaxValue, sha256, Ct));
    }

    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }

    private sealed class FullDisk : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position > HashedCopy.ChunkSize ? ValueTask.FromException(new IOException("No space left on device")) : base.WriteAsync(buffer, cancellationToken);
    }
}

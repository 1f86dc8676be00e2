using System.Net.Http.Headers;

namespace Kiln.Core.Uploads;

/// <summary>The name a file fetched from a link is stored under.</summary>
public static class UrlFileNames
{
    public const string Fallback = "download";

    /// <summary>
    /// The server's Content-Disposition filename, else the last segment of the (final) URL path, made display-safe
    /// like uploaded names; null when neither gives one.
    /// </summary>
    public static string? FromResponse(ContentDispositionHeaderValue? disposition, Uri uri)
    {
        var declared = disposition?.FileNameStar ?? disposition?.FileName?.Trim('"');
        return Clean(declared) ?? FromPath(uri);
    }

    public static string? FromPath(Uri uri)
    {
        var path = uri.AbsolutePath;
        var segment = path[(path.LastIndexOf('/') + 1)..];
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(segment);
        }
        catch (UriFormatException)
        {
            decoded = segment;
        }
        return Clean(decoded);
    }

    /// <summary>
    /// Makes sure the name carries a supported extension: kept when it has one; otherwise the one the bytes
    /// (<paramref name="sniffed"/>) or the declared content type stand for is appended. Null when neither says.
    /// </summary>
    public static string? WithSupportedExtension(string? name, Container sniffed, string? contentType)
    {
        if (name is not null && FileTypes.TryGet(name, out _, out _)) return name;
        var extension = ExtensionOf(sniffed) ?? ExtensionOf(contentType);
        return extension is null ? null : Fit((name ?? Fallback) + extension);
    }

    private static string? ExtensionOf(Container c) => c switch
    {
        Container.Pdf => ".pdf",
        Container.Mp3 => ".mp3",
        Container.Wav => ".wav",
        Container.Ogg => ".ogg",
        Container.Flac => ".flac",
        Container.IsoBmff => ".mp4",
        Container.Ebml => ".webm",
        Container.Png => ".png",
        Container.Jpeg => ".jpg",
        _ => null,
    };

    /// <summary>Only the text types: binary files are recognized by their bytes, not by what the server claims.</summary>
    private static string? ExtensionOf(string? contentType) => contentType?.ToLowerInvariant() switch
    {
        "text/plain" => ".txt",
        "text/vtt" => ".vtt",
        "application/x-subrip" or "text/srt" => ".srt",
        _ => null,
    };

    private static string? Clean(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        name = name.Replace('\\', '/');
        return FileTypes.Sanitize(Fit(name[(name.LastIndexOf('/') + 1)..]));
    }

    /// <summary>At most 255 characters, shortening the base name and keeping the extension.</summary>
    private static string Fit(string name)
    {
        if (name.Length <= 255) return name;
        var extension = Path.GetExtension(name);
        if (extension.Length > 16) extension = "";
        return name[..(255 - extension.Length)] + extension;
    }
}

/// <summary>
/// Reads through to <paramref name="inner"/>, failing with <see cref="Kiln.Core.Storage.BlobTooLargeException"/> the
/// moment more than <paramref name="maxBytes"/> arrive, and keeps the first bytes for sniffing the file type.
/// </summary>
internal sealed class LimitedReadStream(Stream inner, long maxBytes, int headLength) : Stream
{
    private readonly byte[] _head = new byte[headLength];
    private int _headCount;

    public long BytesRead { get; private set; }
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, _headCount);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Count(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Count(buffer.AsSpan(offset, read));
        return read;
    }

    private void Count(ReadOnlySpan<byte> chunk)
    {
        if (_headCount < _head.Length)
        {
            var take = Math.Min(chunk.Length, _head.Length - _headCount);
            chunk[..take].CopyTo(_head.AsSpan(_headCount));
            _headCount += take;
        }
        BytesRead += chunk.Length;
        if (BytesRead > maxBytes) throw new Kiln.Core.Storage.BlobTooLargeException(maxBytes);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

namespace Kiln.Core.Uploads;

public enum Container { Unknown, Pdf, Mp3, Wav, Ogg, Flac, IsoBmff, Ebml, Png, Jpeg }

/// <summary>Recognizes a file by its first bytes (magic numbers), independent of its name.</summary>
public static class ContentSniffer
{
    /// <summary>How many leading bytes <see cref="Detect"/> looks at.</summary>
    public const int HeaderLength = 4096;

    public static Container Detect(ReadOnlySpan<byte> head)
    {
        // PDF readers accept junk before the header within the first KiB; so do qpdf and we.
        var pdfWindow = head[..Math.Min(head.Length, 1024)];
        if (pdfWindow.IndexOf("%PDF-"u8) >= 0) return Container.Pdf;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return Container.Png;
        // JPEG (SOI + a marker) before the MP3 frame sync test: FF D8 FF would also pass as an MPEG frame header.
        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) return Container.Jpeg;
        if (head.StartsWith("ID3"u8)) return Container.Mp3;
        if (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0) return Container.Mp3;
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WAVE"u8)) return Container.Wav;
        if (head.StartsWith("OggS"u8)) return Container.Ogg;
        if (head.StartsWith("fLaC"u8)) return Container.Flac;
        if (head.Length >= 8 && head[4..8].SequenceEqual("ftyp"u8)) return Container.IsoBmff;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3])) return Container.Ebml;
        return Container.Unknown;
    }

    public static bool IsMedia(Container c) => c is Container.Mp3 or Container.Wav or Container.Ogg or Container.Flac or Container.IsoBmff or Container.Ebml;

    /// <summary>The content type of a probed media file, from its container and whether it has a picture track.</summary>
    public static string MediaContentType(Container c, bool hasVideo) => c switch
    {
        Container.Mp3 => "audio/mpeg",
        Container.Wav => "audio/wav",
        Container.Ogg => hasVideo ? "video/ogg" : "audio/ogg",
        Container.Flac => "audio/flac",
        Container.IsoBmff => hasVideo ? "video/mp4" : "audio/mp4",
        Container.Ebml => hasVideo ? "video/webm" : "audio/webm",
        _ => "application/octet-stream",
    };
}

namespace Kiln.Core.Uploads;

public enum FileFamily { Pdf, Media, Subtitles, Text, Image }

/// <summary>The accepted file extensions. The extension only decides how a file is checked; the bytes decide what it is.</summary>
public static class FileTypes
{
    private static readonly Dictionary<string, (FileFamily Family, string ContentType)> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".pdf"] = (FileFamily.Pdf, "application/pdf"),
        [".mp3"] = (FileFamily.Media, "audio/mpeg"),
        [".wav"] = (FileFamily.Media, "audio/wav"),
        [".ogg"] = (FileFamily.Media, "audio/ogg"),
        [".oga"] = (FileFamily.Media, "audio/ogg"),
        [".opus"] = (FileFamily.Media, "audio/ogg"),
        [".flac"] = (FileFamily.Media, "audio/flac"),
        [".m4a"] = (FileFamily.Media, "audio/mp4"),
        [".mp4"] = (FileFamily.Media, "video/mp4"),
        [".m4v"] = (FileFamily.Media, "video/mp4"),
        [".mov"] = (FileFamily.Media, "video/quicktime"),
        [".webm"] = (FileFamily.Media, "video/webm"),
        [".mkv"] = (FileFamily.Media, "video/x-matroska"),
        [".mka"] = (FileFamily.Media, "audio/x-matroska"),
        [".srt"] = (FileFamily.Subtitles, "application/x-subrip"),
        [".vtt"] = (FileFamily.Subtitles, "text/vtt"),
        [".txt"] = (FileFamily.Text, "text/plain; charset=utf-8"),
        [".jpg"] = (FileFamily.Image, "image/jpeg"),
        [".jpeg"] = (FileFamily.Image, "image/jpeg"),
        [".png"] = (FileFamily.Image, "image/png"),
    };

    public static IEnumerable<string> SupportedExtensions => ByExtension.Keys;

    /// <summary>The extensions a slot taking these upload kinds offers in a file picker (<c>accept=".pdf,.txt"</c>). Audio and
    /// video share one family: the bytes, not the name, decide which a file is.</summary>
    public static IReadOnlyList<string> ExtensionsFor(IEnumerable<string> kinds)
    {
        var families = kinds.Select(k => k switch
        {
            "pdf" => FileFamily.Pdf,
            "audio" or "video" => FileFamily.Media,
            "subtitles" => FileFamily.Subtitles,
            "text" => FileFamily.Text,
            "image" => FileFamily.Image,
            _ => (FileFamily?)null,
        }).OfType<FileFamily>().ToHashSet();
        return ByExtension.Where(e => families.Contains(e.Value.Family)).Select(e => e.Key).ToList();
    }

    public static bool TryGet(string fileName, out FileFamily family, out string contentType)
    {
        if (ByExtension.TryGetValue(Path.GetExtension(fileName), out var entry))
        {
            (family, contentType) = entry;
            return true;
        }
        (family, contentType) = (default, "application/octet-stream");
        return false;
    }

    /// <summary>
    /// A display-safe file name: no directories (clients send full paths), no control characters, at most 255 chars.
    /// </summary>
    public static string? Sanitize(string? fileName)
    {
        if (fileName is null) return null;
        var name = fileName.Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..];
        name = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return name.Length is 0 or > 255 || name is "." or ".." ? null : name;
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>What validation established about an upload's bytes.</summary>
public sealed record ValidatedContent(string Kind, string ContentType, string MetadataJson)
{
    public long Size { get; init; }
    /// <summary>The SHA-256 of exactly the bytes validated, when they were hashed on the way (a remote blob's spool copy).</summary>
    public string? Sha256 { get; init; }
}

/// <summary>PDF checks: encryption, structure (qpdf) and page count (pdfinfo).</summary>
public sealed partial class PdfInspector(ToolRunner tools, IOptions<UploadOptions> options)
{
    public async Task<Result<ValidatedContent>> InspectAsync(string path, CancellationToken ct)
    {
        var o = options.Value;
        // Exit 0 means a password is needed to open the file. Owner-password-only files (print/copy restrictions)
        // open fine and every pipeline can read them, so those are accepted.
        var encrypted = await tools.RunAsync(o.QpdfPath, ["--requires-password", path], ct);
        if (encrypted.ExitCode == 0) return UploadErrors.PdfEncrypted();

        // 0 = clean, 3 = warnings only (qpdf repaired something), 2 = errors.
        var check = await tools.RunAsync(o.QpdfPath, ["--check", path], ct);
        if (check.TimedOut) return UploadErrors.PdfInvalid("The PDF took too long to check.");
        if (check.ExitCode is not (0 or 3)) return UploadErrors.PdfInvalid($"The PDF is damaged or truncated: {LastLine(check.StdErr, path)}");

        var info = await tools.RunAsync(o.PdfinfoPath, [path], ct);
        var match = PagesLine().Match(info.StdOut);
        if (info.ExitCode != 0 || !match.Success || !int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var pages) || pages < 1)
            return UploadErrors.PdfInvalid("The PDF has no readable pages.");

        return new ValidatedContent("pdf", "application/pdf", JsonSerializer.Serialize(new { pages }));
    }

    /// <summary>The tool's last complaint, with the temp path (meaningless to the user) taken out.</summary>
    internal static string LastLine(string text, string path)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "unknown error";
        line = line.Replace("qpdf: ", "", StringComparison.Ordinal).Replace(path + ": ", "", StringComparison.Ordinal).Replace(path, "file", StringComparison.Ordinal);
        return line.Length > 300 ? line[..300] : line;
    }

    [GeneratedRegex(@"^Pages:\s+(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PagesLine();
}

/// <summary>Audio and video: ffprobe must parse the container and find a playable stream with a duration.</summary>
public sealed class MediaInspector(ToolRunner tools, IOptions<UploadOptions> options)
{
    private static readonly JsonSerializerOptions CompactJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public async Task<Result<ValidatedContent>> InspectAsync(string path, Container container, CancellationToken ct)
    {
        var probe = await tools.RunAsync(options.Value.FfprobePath, ["-v", "error", "-show_format", "-show_streams", "-of", "json", path], ct);
        if (probe.TimedOut) return UploadErrors.MediaInvalid("The media file took too long to analyze.");
        if (probe.ExitCode != 0) return UploadErrors.MediaInvalid("The media file could not be read; it may be damaged or truncated.");

        using var doc = JsonDocument.Parse(probe.StdOut);
        var root = doc.RootElement;
        var streams = new List<object>();
        double? streamDuration = null;
        int audio = 0, video = 0, width = 0, height = 0;
        if (root.TryGetProperty("streams", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in list.EnumerateArray())
            {
                var type = Str(s, "codec_type");
                // Cover art in MP3/M4A shows up as a video stream; it does not make the file a video.
                var attachedPic = s.TryGetProperty("disposition", out var d) && d.TryGetProperty("attached_pic", out var ap) && ap.ValueKind == JsonValueKind.Number && ap.GetInt32() == 1;
                if (type == "audio") audio++;
                else if (type == "video" && !attachedPic)
                {
                    video++;
                    width = Math.Max(width, Int(s, "width"));
                    height = Math.Max(height, Int(s, "height"));
                }
                else continue;
                if (Num(s, "duration") is { } sd) streamDuration = Math.Max(streamDuration ?? 0, sd);
                streams.Add(new
                {
                    type,
                    codec = Str(s, "codec_name"),
                    sampleRate = type == "audio" ? Int(s, "sample_rate") : (int?)null,
                    channels = type == "audio" ? Int(s, "channels") : (int?)null,
                    width = type == "video" ? Int(s, "width") : (int?)null,
                    height = type == "video" ? Int(s, "height") : (int?)null,
                });
            }
        }
        if (audio + video == 0) return UploadErrors.MediaInvalid("The file has no audio or video stream.");

        var format = root.TryGetProperty("format", out var f) ? f : default;
        var duration = (format.ValueKind == JsonValueKind.Object ? Num(format, "duration") : null) ?? streamDuration;
        if (duration is not > 0) return UploadErrors.MediaInvalid("The media file has no measurable duration.");

        var isVideo = video > 0;
        var metadata = new
        {
            durationSeconds = Math.Round(duration.Value, 3),
            container = format.ValueKind == JsonValueKind.Object ? Str(format, "format_name") : null,
            width = isVideo ? width : (int?)null,
            height = isVideo ? height : (int?)null,
            streams,
        };
        return new ValidatedContent(isVideo ? "video" : "audio", ContentSniffer.MediaContentType(container, isVideo), JsonSerializer.Serialize(metadata, CompactJson));
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return 0;
        return v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetInt32(out var n) ? n : 0,
            JsonValueKind.String => int.TryParse(v.GetString(), CultureInfo.InvariantCulture, out var n) ? n : 0,
            _ => 0,
        };
    }

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
        && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
}

/// <summary>Subtitles and plain text: strict UTF-8 (decoded as a stream), no NULs, and the subtitle format's markers.</summary>
public static class TextInspector
{
    private const long MaxSubtitleCharacters = 20_000_000;

    public static async Task<Result<ValidatedContent>> InspectAsync(Stream content, FileFamily family, string extension, CancellationToken ct)
    {
        using var reader = new StreamReader(content, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 16384);
        long lines = 0, cues = 0, characters = 0;
        string? first = null;
        // Subtitle files are parsed whole by the strict caption parser below; they are small, and a bigger one is not subtitles.
        var subtitles = family == FileFamily.Subtitles ? new StringBuilder() : null;
        try
        {
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Contains('\0')) return UploadErrors.TypeMismatch("The file is binary, not text.");
                first ??= line.TrimStart('\uFEFF');
                lines++;
                characters += line.Length + 1;
                if (subtitles is not null)
                {
                    if (characters > MaxSubtitleCharacters) return UploadErrors.TypeMismatch("The file is too large to be a subtitle file.");
                    subtitles.Append(line).Append('\n');
                }
                if (line.Contains("-->", StringComparison.Ordinal)) cues++;
            }
        }
        catch (DecoderFallbackException)
        {
            return UploadErrors.TypeMismatch("The file is not UTF-8 text.");
        }

        if (family == FileFamily.Text)
            return new ValidatedContent("text", "text/plain; charset=utf-8", JsonSerializer.Serialize(new { lines, characters }));

        var vtt = extension.Equals(".vtt", StringComparison.OrdinalIgnoreCase);
        if (vtt && first?.StartsWith("WEBVTT", StringComparison.Ordinal) != true)
            return UploadErrors.TypeMismatch("A WebVTT file must start with 'WEBVTT'.");
        if (cues == 0) return UploadErrors.TypeMismatch("The subtitle file has no cues ('00:00:01,000 --> 00:00:02,000').");
        try
        {
            var parsed = Kiln.Core.Media.Speech.CaptionParser.Parse(subtitles!.ToString());
            cues = parsed.Segments.Count;
        }
        catch (Kiln.Core.Media.Speech.CaptionFormatException ex)
        {
            return UploadErrors.TypeMismatch(ex.Message);
        }
        return new ValidatedContent("subtitles", vtt ? "text/vtt" : "application/x-subrip", JsonSerializer.Serialize(new { cues, characters }));
    }
}

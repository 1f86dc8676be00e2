using System.Collections;
using System.Text.Json;

namespace Kiln.Core.Pipelines;

public interface ISlotted
{
    string Slot { get; }
}

/// <summary>A job's inputs grouped by slot, in the order they were given.</summary>
public sealed class InputSet<T>(IReadOnlyList<T> items) : IReadOnlyList<T> where T : ISlotted
{
    public static readonly InputSet<T> Empty = new([]);

    public T this[int index] => items[index];
    public int Count => items.Count;

    /// <summary>The one input of a required single slot.</summary>
    public T this[string slot] => Find(slot) ?? throw new PipelineException("invalid_inputs", $"The input '{slot}' is missing.");

    public T? Find(string slot) => items.FirstOrDefault(i => i.Slot == slot);

    public IReadOnlyList<T> All(string slot) => items.Where(i => i.Slot == slot).ToList();

    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>What the platform learned about an input when it was uploaded (probed by qpdf, pdfinfo, ffprobe…).</summary>
public sealed record InputFacts(string Slot, string Kind, string FileName, long Size,
    PdfFacts? Pdf = null, MediaFacts? Media = null, TextFacts? Text = null) : ISlotted
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads the facts an upload stored (its metadata JSON) into typed records.</summary>
    public static InputFacts From(string slot, string kind, string fileName, long size, string? metadataJson)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(metadataJson) ? "{}" : metadataJson);
        var m = doc.RootElement;
        return kind switch
        {
            "pdf" => new InputFacts(slot, kind, fileName, size, Pdf: new PdfFacts(Int(m, "pages") ?? 0)),
            "audio" or "video" => new InputFacts(slot, kind, fileName, size, Media: MediaFacts.From(m, kind == "video")),
            "text" or "subtitles" => new InputFacts(slot, kind, fileName, size, Text: new TextFacts(Long(m, "characters"), Long(m, "lines") ?? Long(m, "cues"))),
            _ => new InputFacts(slot, kind, fileName, size),
        };
    }

    internal static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    internal static long? Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    internal static double? Double(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}

/// <param name="Pages">The page count pdfinfo read (0 when unknown).</param>
public sealed record PdfFacts(int Pages);

public sealed record MediaFacts(double DurationSeconds, int Channels, int SampleRate, bool HasVideo, int? Width = null, int? Height = null)
{
    public decimal Minutes => (decimal)Math.Ceiling(DurationSeconds / 60.0 * 100) / 100;

    internal static MediaFacts From(JsonElement m, bool hasVideo)
    {
        int channels = 0, rate = 0;
        if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("streams", out var streams) && streams.ValueKind == JsonValueKind.Array)
            foreach (var s in streams.EnumerateArray())
                if (s.TryGetProperty("type", out var t) && t.GetString() == "audio")
                {
                    channels = Math.Max(channels, InputFacts.Int(s, "channels") ?? 0);
                    rate = Math.Max(rate, InputFacts.Int(s, "sampleRate") ?? 0);
                }
        return new MediaFacts(InputFacts.Double(m, "durationSeconds") ?? 0, channels, rate, hasVideo, InputFacts.Int(m, "width"), InputFacts.Int(m, "height"));
    }
}

/// <param name="Characters">Characters of text (null for uploads made before this was counted).</param>
/// <param name="Lines">Lines of a text file, or cues of a subtitle file.</param>
public sealed record TextFacts(long? Characters, long? Lines);

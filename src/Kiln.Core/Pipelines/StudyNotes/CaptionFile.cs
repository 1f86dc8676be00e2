using Kiln.Core.Media.Speech;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>A caption file (SRT or WebVTT) as a transcript, read by the shared strict <see cref="CaptionParser"/>.</summary>
public static class CaptionFile
{
    public static async Task<Transcript> ReadAsync(string path, string language, CancellationToken ct)
    {
        var text = await File.ReadAllTextAsync(path, ct);
        Transcript parsed;
        try
        {
            parsed = CaptionParser.Parse(text, language);
        }
        catch (CaptionFormatException ex)
        {
            throw new PipelineException("captions_invalid", ex.Message, inner: ex);
        }
        // Rolling captions (as video sites publish them) repeat the previous line; keep each line once.
        var segments = parsed.Segments.Where((s, i) => i == 0 || !string.Equals(s.Text, parsed.Segments[i - 1].Text, StringComparison.Ordinal)).ToList();
        return parsed with { Segments = segments, Engine = "captions" };
    }
}

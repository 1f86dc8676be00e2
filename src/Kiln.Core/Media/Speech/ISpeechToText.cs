namespace Kiln.Core.Media.Speech;

/// <summary>
/// Speech to text, shared by every product that hears speech (podcast transcripts, dubbing, study notes). Engines are
/// named (<c>pocketsphinx</c> offline, <c>openai</c> for any OpenAI-compatible <c>/audio/transcriptions</c> server,
/// <c>deepgram</c>, <c>whisper-net</c> with a model file); <see cref="ISpeechToTextEngines"/> resolves one by name or
/// gives the configured default.
/// </summary>
public interface ISpeechToText
{
    /// <summary>The engine's name as configured (e.g. "pocketsphinx").</summary>
    string Name { get; }

    /// <summary>ISO 639-1 codes this engine can hear; empty means "any language the service accepts".</summary>
    IReadOnlySet<string> Languages { get; }

    /// <summary>Whether the engine can detect the language itself (a request may then leave it null).</summary>
    bool DetectsLanguage { get; }

    /// <summary>
    /// Transcribes an audio or video file (any format ffmpeg reads). <paramref name="language"/> is an ISO 639-1 code or
    /// null to detect. Throws <see cref="NoSpeechFoundException"/> when the file holds no recognisable speech; tool and
    /// HTTP failures surface as <see cref="ToolFailedException"/> / <see cref="HttpRequestException"/> (with a status
    /// code), which the pipeline host classifies.
    /// </summary>
    Task<Transcript> TranscribeAsync(string mediaPath, string? language, CancellationToken ct);
}

/// <summary>The configured engines by name.</summary>
public interface ISpeechToTextEngines
{
    /// <summary>The operator's default engine (<c>Kiln:Speech:Default</c>, pocketsphinx when unset).</summary>
    ISpeechToText Default { get; }

    /// <summary>Every configured engine, default first.</summary>
    IReadOnlyList<ISpeechToText> All { get; }

    /// <summary>The engine with this name, or null.</summary>
    ISpeechToText? Find(string name);
}

/// <summary>A transcript: segments in time order, each with its words when the engine gives word timings.</summary>
/// <param name="Language">ISO 639-1 code of the speech (as requested or detected).</param>
/// <param name="DurationSeconds">Length of the audio that was transcribed.</param>
/// <param name="Engine">The engine that produced it (for the job log and manifests).</param>
public sealed record Transcript(string Language, double DurationSeconds, IReadOnlyList<TranscriptSegment> Segments, string Engine)
{
    /// <summary>The whole text, segments joined by single spaces.</summary>
    public string Text => string.Join(' ', Segments.Select(s => s.Text));
}

/// <summary>One utterance (a sentence or a phrase between pauses). Times are seconds from the start of the audio.</summary>
/// <param name="Speaker">A speaker label when the engine diarizes (e.g. "Speaker 1"), else null.</param>
public sealed record TranscriptSegment(double Start, double End, string Text, IReadOnlyList<TranscriptWord> Words, string? Speaker = null);

/// <summary>One word with its timing; <paramref name="Confidence"/> is 0..1 when the engine reports it.</summary>
public sealed record TranscriptWord(double Start, double End, string Text, double? Confidence = null);

/// <summary>The audio holds no speech the engine could recognise: a clear, permanent failure for the job.</summary>
public sealed class NoSpeechFoundException(string message) : Exception(message);

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>manifest.json: what was dubbed, where each file is, every segment's timing, and what went wrong.</summary>
public sealed record DubbingManifest(
    string SourceLanguage, double DurationSeconds, string SpeechEngine, string Translator, string Synthesizer,
    IReadOnlyList<string> SourceCaptions, IReadOnlyList<ManifestLanguage> Languages, IReadOnlyList<string> Warnings,
    string? MultiTrackVideo);

public sealed record ManifestLanguage(
    string Code, string Name, string Status, string? Error, IReadOnlyList<string> Files, IReadOnlyList<ManifestSegment> Segments,
    IReadOnlyList<string> Warnings, double? IntegratedLufs, double? TruePeakDbtp);

/// <param name="Tempo">The time-stretch applied (1 = natural speed).</param>
/// <param name="Fitted">False when the dubbed speech was cut at the next segment.</param>
public sealed record ManifestSegment(int Index, double SourceStart, double SourceEnd, string SourceText, string Text,
    double Start, double End, double Tempo, bool Fitted, bool UsedGap);

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Kiln.Core.Pipelines.Dubbing;

public sealed record DubbingOptions
{
    [Display(Name = "Source language"), Description("ISO 639-1 code of the speech (en, es, …), or auto to let the speech engine detect it where it can (OpenAI-compatible Whisper servers, Deepgram; not pocketsphinx)."),
     RegularExpression("^([a-z]{2}|auto)$")]
    public string? SourceLanguage { get; init; } = "en";

    [Display(Name = "Target languages"), Description("The languages to dub into (ISO 639-1 codes such as es, ca): those the installed translation engine reaches from the source language and the synthesizer speaks."),
     MinLength(1), MaxLength(10), ItemLength(2), ChoicesFrom("/api/pipelines/dubbing/languages", "sourceLanguage")]
    public string[] TargetLanguages { get; init; } = ["es"];

    [Display(Name = "Voice"), Description("The dubbing voice for every language: male, female, an engine voice name, or a premium voice as engine:voice (openai:nova, elevenlabs:<voice id>) where the plan includes premium voices."),
     RegularExpression(@"^[A-Za-z0-9+_.\-]{1,80}(:[A-Za-z0-9+_.\-]{1,80})?$")]
    public string Voice { get; init; } = "male";

    [Display(Name = "Voices per language"), Description("Overrides per language, like es=female, ca=male, es=es+f2 or es=openai:nova."),
     MaxLength(10), ItemLength(170), VoicePicker("targetLanguages", "/api/pipelines/dubbing/voices")]
    public string[]? Voices { get; init; }

    [Display(Name = "Caption formats"), Description("Captions for the source and every target language."),
     MaxLength(2), ItemLength(3)]
    public string[] CaptionFormats { get; init; } = ["srt", "vtt"];

    [Display(Name = "Video"), Description("For a video input: a video per language with the dubbed audio (the original picture, the language tag on the audio stream).")]
    public bool MuxVideo { get; init; } = true;

    [Display(Name = "All languages in one video"), Description("Also one video holding every dubbed language as its own audio stream.")]
    public bool MultiTrackVideo { get; init; }

    [Display(Name = "Keep the original voice"), Description("Keep the original speech faintly under the dub.")]
    public bool KeepOriginalVoice { get; init; }

    [Display(Name = "Original voice level (dB)"), Description("How far below full level the original voice stays when kept."), Range(-40.0, -6.0)]
    public double OriginalVoiceDb { get; init; } = -18;

    [Display(Name = "Glossary"), Description("Terms never translated (names, products), comma-separated."), MaxLength(100), ItemLength(100)]
    public string[]? Glossary { get; init; }

    [Display(Name = "Loudness target (LUFS)"), Description("Integrated loudness of the dubbed audio: −16 for web video, −23/−24 for broadcast."), Range(-31.0, -9.0)]
    public double LoudnessTarget { get; init; } = -16;

    [Display(Name = "WAV"), Description("Also produce an uncompressed WAV per language.")]
    public bool Wav { get; init; }

    public const string Auto = "auto";

    /// <summary>The language the speech engine is told, or null to let it detect the language.</summary>
    public string? KnownSourceLanguage() => SourceLanguage is null or "" or Auto ? null : SourceLanguage;
}

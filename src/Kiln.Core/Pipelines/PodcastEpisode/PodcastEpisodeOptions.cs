using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>The options of one episode's processing; every step can be switched off.</summary>
public sealed record PodcastEpisodeOptions
{
    public const int MaxTextLength = 200;

    [Display(Name = "Episode title"), Description("Written into the MP3's tags and the manifest. Empty uses the file name."), StringLength(MaxTextLength)]
    public string? Title { get; init; }

    [Display(Name = "Show title"), Description("The show's name, written as the album tag."), StringLength(MaxTextLength)]
    public string? ShowTitle { get; init; }

    [Display(Name = "Artist"), Description("The host or publisher, written as the artist tag."), StringLength(MaxTextLength)]
    public string? Artist { get; init; }

    [Display(Name = "Denoise"), Description("Reduce steady background noise (hiss, hum, room noise).")]
    public bool Denoise { get; init; } = true;

    [Display(Name = "Trim long silences"), Description("Shorten pauses longer than the silence threshold; natural pauses stay.")]
    public bool TrimSilence { get; init; } = true;

    [Display(Name = "Level speakers"), Description("Even out quiet and loud passages so every voice is heard at the same level.")]
    public bool Level { get; init; } = true;

    [Display(Name = "Loudness target (LUFS)"), Description("−16 is podcast practice (Apple, Spotify); −14 louder; −19 and −23 for broadcast and mono speech."),
     AllowedValues(-14, -16, -19, -23)]
    public int LoudnessTarget { get; init; } = -16;

    [Display(Name = "Silence threshold (seconds)"), Description("Pauses longer than this are shortened to it."), Range(0.5, 10.0)]
    public double SilenceThresholdSeconds { get; init; } = 1.0;

    [Display(Name = "AAC copy"), Description("Also write episode.m4a (AAC) beside the MP3.")]
    public bool Aac { get; init; }

    [Display(Name = "Transcript"), Description("Transcribe the episode (WebVTT, SRT and Podcasting 2.0 JSON).")]
    public bool Transcribe { get; init; } = true;

    [Display(Name = "Show notes"), Description("Draft a summary, key points, links and guests from the transcript.")]
    public bool ShowNotes { get; init; } = true;

    [Display(Name = "Chapters"), Description("Find chapters (titles and start times on pauses) from the transcript.")]
    public bool Chapters { get; init; } = true;

    [Display(Name = "Language"), Description("The spoken language as an ISO 639-1 code, e.g. en."), RegularExpression("^[a-z]{2}$")]
    public string Language { get; init; } = "en";

    [Display(Name = "Speech engine"), Description("Which configured speech-to-text engine transcribes (e.g. pocketsphinx, openai). Empty uses the default."),
     StringLength(40)]
    public string? SpeechEngine { get; init; }

    [Display(Name = "Text engine"), Description("Which configured AI provider writes the show notes and chapter titles, as provider or provider/model. Empty uses the default."),
     StringLength(100)]
    public string? Engine { get; init; }
}

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>The pipeline's options: the one source of its schema, form and validation. Page ranges are checked in
/// <c>Plan</c>, against the page count.</summary>
public sealed record PdfPodcastOptions
{
    public const string Conversational = "conversational";
    public const string Lecture = "lecture";
    public const int DefaultMaxChapters = 12;
    public const int MaxHostNameLength = 40;

    [Display(Name = "Pages"), Description("Pages to include, like 1-10 or 3,5-7. Empty means all.")]
    public string? Pages { get; init; }

    [Display(Name = "Host names"), MinLength(2),
     MaxLength(2), ItemLength(MaxHostNameLength)]
    public string[] Hosts { get; init; } = ["Alex", "Sam"];

    [Display(Name = "Style"), AllowedValues(Conversational, Lecture)]
    public string Style { get; init; } = Conversational;

    [Display(Name = "Narrated MP3"), Description("Also produce podcast.mp3 with two voices (costs extra).")]
    public bool Audio { get; init; }

    [Display(Name = "Maximum chapters"), Range(1, 50)]
    public int MaxChapters { get; init; } = DefaultMaxChapters;

    [Display(Name = "Text engine"), Description("Which configured AI provider writes the script, as provider or provider/model (e.g. openai/gpt-4o-mini). Empty uses the default.")]
    public string? Engine { get; init; }

    [JsonIgnore] public string HostA => Hosts[0];
    [JsonIgnore] public string HostB => Hosts[1];
}

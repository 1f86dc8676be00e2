using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>The study-notes options: the one source of their schema, form and validation.</summary>
public sealed record StudyNotesOptions
{
    public const string Brief = "brief";
    public const string Standard = "standard";
    public const string Detailed = "detailed";

    [Display(Name = "Video link"), Description("A link to a lecture video or a page that plays one (instead of an uploaded file)."), StringLength(2000)]
    public string? Link { get; init; }

    [Display(Name = "Subject"), Description("The course or subject, e.g. Biology 101. Notes of one subject link to each other and share quiz terms."), StringLength(100)]
    public string? Subject { get; init; }

    [Display(Name = "Depth"), AllowedValues(Brief, Standard, Detailed)]
    public string Depth { get; init; } = Standard;

    [Display(Name = "Quiz questions"), Description("How many questions (at least one per section)."), Range(1, 40)]
    public int QuizSize { get; init; } = 6;

    [Display(Name = "Language"), Description("Language of the lecture and the notes (ISO 639-1), e.g. en."), RegularExpression("^[a-z]{2}$")]
    public string Language { get; init; } = "en";

    [Display(Name = "Text engine"), Description("Which configured AI provider writes the notes, as provider or provider/model. Empty uses the offline engine.")]
    public string? Engine { get; init; }
}

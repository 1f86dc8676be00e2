using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Kiln.Core.Pipelines.PdfAudiobook;

public sealed record PdfAudiobookOptions
{
    [Display(Name = "Pages"), Description("Pages to narrate, like 1-120 or 5-40. Empty means all.")]
    public string? Pages { get; init; }

    [Display(Name = "Voice"), Description("Which of the installed narrator voices reads the book."),
     AllowedValues("first", "second")]
    public string Voice { get; init; } = "first";

    [Display(Name = "Speed"), Description("Reading speed: 1 is normal, 0.8 slower, 1.25 faster."),
     Range(0.5, 2.0)]
    public double Speed { get; init; } = 1.0;

    [Display(Name = "Maximum chapters"), Range(1, 200)]
    public int MaxChapters { get; init; } = 60;

    [Display(Name = "Chapter MP3s"), Description("Also produce one MP3 per chapter beside the M4B.")]
    public bool ChapterMp3s { get; init; } = true;
}

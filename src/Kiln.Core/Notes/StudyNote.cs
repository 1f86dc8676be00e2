using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Core.Notes;

/// <summary>
/// The typed twin of a note's Markdown: what the pipeline wrote, section by section. Times are seconds from the start
/// of the source's media (null for documents); pages are 1-based (null for media).
/// </summary>
public sealed record StudyNote
{
    public required string Title { get; init; }
    public string? Subject { get; init; }
    public required string Summary { get; init; }
    public IReadOnlyList<KeyConcept> Concepts { get; init; } = [];
    public IReadOnlyList<OutlineSection> Outline { get; init; } = [];
    public IReadOnlyList<NoteQuote> Quotes { get; init; } = [];
    public IReadOnlyList<GlossaryEntry> Glossary { get; init; } = [];
    public IReadOnlyList<string> OpenQuestions { get; init; } = [];
    public IReadOnlyList<QuizQuestion> Quiz { get; init; } = [];
    /// <summary>The note's key terms (lower case), used to find related notes.</summary>
    public IReadOnlyList<string> KeyTerms { get; init; } = [];
    public IReadOnlyList<RelatedNote> Related { get; init; } = [];
    public NoteSource? Source { get; init; }
    public string Engine { get; init; } = "";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static StudyNote? FromJson(string? json) => string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<StudyNote>(json, Json);

    /// <summary>The note as Markdown: timestamps as <c>[mm:ss](#t=seconds)</c> links, related notes as <c>[[wiki-links]]</c>.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(Title).Append("\n\n");
        if (Source is { } s)
        {
            var what = s.Url is { Length: > 0 } ? $"[{Escape(s.Title ?? s.Name)}]({s.Url})" : Escape(s.Title ?? s.Name);
            sb.Append("*Source:* ").Append(what);
            if (s.Channel is { Length: > 0 }) sb.Append(" — ").Append(Escape(s.Channel));
            if (s.DurationSeconds is > 0) sb.Append(" (").Append(Timestamp(s.DurationSeconds.Value)).Append(')');
            sb.Append("\n\n");
        }
        sb.Append("## Summary\n\n").Append(Summary).Append("\n\n");
        if (Concepts.Count > 0)
        {
            sb.Append("## Key concepts\n\n");
            foreach (var c in Concepts) sb.Append("- **").Append(c.Term).Append("** — ").Append(c.Definition).Append(Where(c.Time, c.Page)).Append('\n');
            sb.Append('\n');
        }
        if (Outline.Count > 0)
        {
            sb.Append("## Outline\n\n");
            foreach (var section in Outline)
            {
                sb.Append("### ").Append(section.Title).Append(Where(section.Start, section.Page)).Append("\n\n");
                foreach (var point in section.Points) sb.Append("- ").Append(point.Text).Append(Where(point.Time, point.Page)).Append('\n');
                sb.Append('\n');
            }
        }
        if (Quotes.Count > 0)
        {
            sb.Append("## Important quotes\n\n");
            foreach (var q in Quotes) sb.Append("> ").Append(q.Text).Append(Where(q.Time, q.Page)).Append("\n\n");
        }
        if (Glossary.Count > 0)
        {
            sb.Append("## Glossary\n\n| Term | Meaning |\n| --- | --- |\n");
            foreach (var g in Glossary) sb.Append("| ").Append(Cell(g.Term)).Append(" | ").Append(Cell(g.Definition)).Append(" |\n");
            sb.Append('\n');
        }
        if (OpenQuestions.Count > 0)
        {
            sb.Append("## Open questions\n\n");
            foreach (var q in OpenQuestions) sb.Append("- ").Append(q).Append('\n');
            sb.Append('\n');
        }
        if (Related.Count > 0)
        {
            sb.Append("## Related notes\n\n");
            foreach (var r in Related) sb.Append("- [[").Append(r.LinkName).Append("]] — shares ").Append(string.Join(", ", r.SharedTerms)).Append('\n');
            sb.Append('\n');
        }
        if (Quiz.Count > 0) sb.Append("## Quiz\n\n").Append(Quiz.Count).Append(" questions — open the note's quiz mode to take it.\n");
        return sb.ToString().TrimEnd() + "\n";
    }

    /// <summary>"1:05" or "1:02:03".</summary>
    public static string Timestamp(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, Math.Floor(seconds)));
        return t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }

    private static string Where(double? time, int? page) =>
        time is { } t ? $" [{Timestamp(t)}](#t={Math.Floor(t).ToString(CultureInfo.InvariantCulture)})"
        : page is { } p ? $" (p. {p})" : "";

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');

    private static string Escape(string text) => text.Replace("[", "\\[", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal);
}

public sealed record KeyConcept(string Term, string Definition, double? Time = null, int? Page = null);

public sealed record OutlineSection(string Title, double? Start, double? End, int? Page, IReadOnlyList<OutlinePoint> Points);

public sealed record OutlinePoint(string Text, double? Time = null, int? Page = null);

public sealed record NoteQuote(string Text, double? Time = null, int? Page = null);

public sealed record GlossaryEntry(string Term, string Definition);

/// <param name="Kind">"multiple-choice" or "short-answer".</param>
/// <param name="Choices">The options of a multiple-choice question (the answer among them); empty for short answers.</param>
/// <param name="Section">The index of the outline section the question comes from.</param>
public sealed record QuizQuestion(string Kind, string Prompt, IReadOnlyList<string> Choices, string Answer, string Explanation,
    int Section, double? Time = null, int? Page = null)
{
    public const string MultipleChoice = "multiple-choice";
    public const string ShortAnswer = "short-answer";
}

public sealed record RelatedNote(Guid NoteId, string LinkName, IReadOnlyList<string> SharedTerms);

/// <param name="Kind">media, subtitles, document or link.</param>
public sealed record NoteSource(string Kind, string Name, string? Url = null, string? Title = null, string? Channel = null,
    double? DurationSeconds = null, string? SourceId = null, Guid? UploadId = null, string? ContentType = null);

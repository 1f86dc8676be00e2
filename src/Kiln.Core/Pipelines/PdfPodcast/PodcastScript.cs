using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>The <c>script.json</c> artifact. The schema is documented in README.md next to this file; change both together.</summary>
public sealed record PodcastScript(string Title, string Pipeline, string Version, IReadOnlyList<string> Hosts, IReadOnlyList<ScriptChapter> Chapters)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static PodcastScript? FromJson(string json) => JsonSerializer.Deserialize<PodcastScript>(json, Json);

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(Title).Append("\n\n");
        sb.Append("*A conversation between ").Append(string.Join(" and ", Hosts)).Append(".*\n");
        foreach (var chapter in Chapters)
        {
            // One numbering: the chapter index. Titles carry no number of their own (ChapterSplitter strips them).
            sb.Append("\n## ").Append(chapter.Index).Append(". ").Append(Escape(ScriptWriter.SpokenTitle(chapter.Title)));
            if (chapter.Pages is { } p) sb.Append(Pages(p));
            sb.Append("\n\n");
            foreach (var turn in chapter.Turns)
            {
                sb.Append("**").Append(turn.Speaker).Append(":** ").Append(Escape(turn.Text));
                if ((turn.Pages ?? chapter.Pages) is { } tp) sb.Append(" *").Append(Pages(tp).Trim()).Append('*');
                sb.Append("\n\n");
            }
        }
        return sb.ToString().TrimEnd() + "\n";
    }

    private static string Pages(PageSpan p) => p.First == p.Last ? $" (page {p.First})" : $" (pages {p.First}–{p.Last})";

    // PDF text can contain characters that Markdown would read as markup; escaping keeps it literal.
    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text)
        {
            if ("\\`*_[]<>#|".Contains(ch, StringComparison.Ordinal)) sb.Append('\\');
            sb.Append(ch);
        }
        return sb.ToString();
    }
}

public sealed record ScriptChapter(int Index, string Title, PageSpan? Pages, IReadOnlyList<ScriptTurn> Turns);

public sealed record PageSpan(int First, int Last);

/// <param name="Pages">The source pages the turn draws on; null only for framing turns (intro and outro).</param>
public sealed record ScriptTurn(string Speaker, string Text, PageSpan? Pages = null);

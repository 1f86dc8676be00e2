using System.Text.RegularExpressions;

namespace Kiln.Core.Notes;

/// <summary>
/// Which earlier notes a note links to: those sharing at least <see cref="MinShared"/> key terms and enough of them
/// relative to the smaller term list (<see cref="MinOverlap"/>), so two notes are linked by their subject matter, not by
/// one common word.
/// </summary>
public static partial class NoteLinker
{
    public const int MinShared = 2;
    public const double MinOverlap = 0.2;
    public const int MaxLinks = 8;

    public sealed record Candidate(Guid Id, string LinkName, IReadOnlyList<string> Terms);

    public static IReadOnlyList<RelatedNote> Related(IReadOnlyList<string> terms, IEnumerable<Candidate> earlier)
    {
        var mine = Expand(terms);
        return earlier
            .Select(c => (c, shared: terms.Where(t => Expand([t]).Overlaps(Expand(c.Terms))).ToList()))
            .Where(x => x.shared.Count >= MinShared && x.shared.Count >= MinOverlap * Math.Min(terms.Count, x.c.Terms.Count))
            .OrderByDescending(x => x.shared.Count).ThenBy(x => x.c.LinkName, StringComparer.Ordinal)
            .Take(MaxLinks)
            .Select(x => new RelatedNote(x.c.Id, x.c.LinkName, x.shared))
            .ToList();
    }

    // A phrase also matches its singular/plural form ("light reaction" ~ "light reactions").
    private static HashSet<string> Expand(IEnumerable<string> terms)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in terms)
        {
            set.Add(t);
            set.Add(t.EndsWith('s') ? t[..^1] : t + "s");
        }
        return set;
    }

    public static string JoinTerms(IEnumerable<string> terms) => string.Join('|', terms);

    public static IReadOnlyList<string> SplitTerms(string? terms) => (terms ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The targets of the <c>[[wiki-links]]</c> in Markdown (<c>[[name]]</c> or <c>[[name|label]]</c>).</summary>
    public static IReadOnlyList<string> WikiLinks(string markdown) =>
        WikiLink().Matches(markdown).Select(m => m.Groups["name"].Value.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A title made safe as a wiki-link target and a file name: no []|#^/\: and no control characters.</summary>
    public static string LinkNameFor(string title)
    {
        var cleaned = new string(title.Select(c => "[]|#^/\\:*?\"<>".Contains(c, StringComparison.Ordinal) || char.IsControl(c) ? ' ' : c).ToArray());
        cleaned = Spaces().Replace(cleaned, " ").Trim().TrimEnd('.');
        if (cleaned.Length > 120) cleaned = cleaned[..120].Trim();
        return cleaned.Length == 0 ? "Untitled note" : cleaned;
    }

    [GeneratedRegex(@"\[\[(?<name>[^\[\]|#\n]+)(?:[|#][^\[\]\n]*)?\]\]")]
    public static partial Regex WikiLink();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}

using System.Globalization;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>A sorted, merged set of 1-based page ranges, e.g. "3,5-7".</summary>
public sealed record PageSelection(IReadOnlyList<(int First, int Last)> Ranges)
{
    public int Count => Ranges.Sum(r => r.Last - r.First + 1);

    public bool Contains(int page) => Ranges.Any(r => page >= r.First && page <= r.Last);

    public override string ToString() =>
        string.Join(',', Ranges.Select(r => r.First == r.Last
            ? r.First.ToString(CultureInfo.InvariantCulture)
            : $"{r.First.ToString(CultureInfo.InvariantCulture)}-{r.Last.ToString(CultureInfo.InvariantCulture)}"));
}

public static class PageRange
{
    public const string ErrorCode = "invalid_page_range";

    /// <summary>
    /// Parses "1-10", "3,5-7" or "7" against a document of <paramref name="pageCount"/> pages. Null or blank selects
    /// every page. Overlaps are merged, so "1-3,2-4" means "1-4".
    /// </summary>
    public static Result<PageSelection> Parse(string? spec, int pageCount)
    {
        if (pageCount < 1) return Error.Invalid(ErrorCode, "The document has no pages.");
        if (string.IsNullOrWhiteSpace(spec)) return new PageSelection([(1, pageCount)]);

        var ranges = new List<(int First, int Last)>();
        foreach (var raw in spec.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0) return Invalid(spec, "it has an empty part between commas");
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var firstText = dash < 0 ? part : part[..dash].Trim();
            var lastText = dash < 0 ? part : part[(dash + 1)..].Trim();
            if (!TryPage(firstText, out var first) || !TryPage(lastText, out var last))
                return Invalid(spec, $"\"{part}\" is not a page number or a range like 3-7");
            if (first == 0 || last == 0) return Invalid(spec, "pages are numbered from 1");
            if (first > last) return Invalid(spec, $"\"{part}\" ends before it starts");
            if (last > pageCount)
                return Invalid(spec, $"the document has only {pageCount} page{(pageCount == 1 ? "" : "s")}");
            ranges.Add((first, last));
        }

        var merged = new List<(int First, int Last)>();
        foreach (var r in ranges.OrderBy(r => r.First))
        {
            if (merged.Count > 0 && r.First <= merged[^1].Last + 1)
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, r.Last));
            else
                merged.Add(r);
        }
        return new PageSelection(merged);
    }

    private static bool TryPage(string text, out int page) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out page);

    private static Error Invalid(string spec, string why) =>
        Error.Invalid(ErrorCode, $"The page range \"{spec}\" is not valid: {why}. Use page numbers and ranges like \"1-10\" or \"3,5-7\".");
}

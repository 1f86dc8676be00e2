using System.Text;

namespace Kiln.Core.Media.Speech;

/// <summary>
/// Word error rate: (substitutions + deletions + insertions) / reference words, after normalising both texts to
/// lower-case words without punctuation (apostrophes inside words kept: "don't"), so a transcript is judged on what it
/// heard, not on how it wrote it.
/// </summary>
public static class WordErrorRate
{
    /// <summary>0 for a perfect hypothesis; can exceed 1 when the hypothesis inserts many words. An empty reference gives
    /// 0 against an empty hypothesis, else 1.</summary>
    public static double Compute(string reference, string hypothesis)
    {
        var r = Normalize(reference);
        var h = Normalize(hypothesis);
        if (r.Count == 0) return h.Count == 0 ? 0 : 1;
        return Distance(r, h) / (double)r.Count;
    }

    /// <summary>Lower-case words of letters and digits; an apostrophe inside a word is kept, every other character breaks words.</summary>
    public static IReadOnlyList<string> Normalize(string text)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        void End()
        {
            var w = sb.ToString().Trim('\'');
            if (w.Length > 0) words.Add(w);
            sb.Clear();
        }
        foreach (var c in text.Normalize(NormalizationForm.FormC))
        {
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else if ((c == '\'' || c == '’') && sb.Length > 0) sb.Append('\'');
            else End();
        }
        End();
        return words;
    }

    /// <summary>Levenshtein distance over words, two rows of memory.</summary>
    private static int Distance(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (var j = 0; j <= b.Count; j++) previous[j] = j;
        for (var i = 1; i <= a.Count; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Count; j++)
            {
                var cost = string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}

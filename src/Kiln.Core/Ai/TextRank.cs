using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.Core.Ai;

/// <summary>
/// TextRank sentence ranking (Mihalcea &amp; Tarau, 2004): sentences vote for similar sentences, PageRank-style.
/// Pure and deterministic: equal scores fall back to document order, iteration count is fixed.
/// </summary>
public static partial class TextRank
{
    private const double Damping = 0.85;
    private const int Iterations = 40;
    // Ranking is quadratic; beyond this many sentences the head of the text is ranked, which is where topics are introduced.
    private const int MaxSentences = 700;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out",
        "has", "have", "him", "his", "how", "its", "may", "new", "now", "own", "see", "she", "too", "use", "who", "did",
        "that", "this", "with", "from", "they", "them", "then", "than", "their", "there", "these", "those", "what",
        "when", "where", "which", "while", "will", "would", "could", "should", "into", "onto", "also", "been", "being",
        "were", "each", "more", "most", "some", "such", "only", "other", "very", "just", "over", "under", "about",
        "because", "between", "through", "after", "before", "both", "does", "doing", "here", "same", "your", "upon",
    };

    public static IReadOnlyList<string> SplitSentences(string text)
    {
        var normalized = Whitespace().Replace(text, " ").Trim();
        if (normalized.Length == 0) return [];
        return SentenceBoundary().Split(normalized)
            .Select(s => s.Trim())
            .Where(s => s.Length > 0)
            .ToList();
    }

    /// <summary>The <paramref name="count"/> most central sentences, returned in document order.</summary>
    public static IReadOnlyList<string> TopSentences(string text, int count)
    {
        var candidates = SplitSentences(text).Where(IsUsable).Take(MaxSentences).ToList();
        if (candidates.Count <= count) return candidates;
        var scores = Rank(candidates);
        return Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => scores[i]).ThenBy(i => i)
            .Take(count)
            .Order()
            .Select(i => candidates[i])
            .ToList();
    }

    public static double[] Rank(IReadOnlyList<string> sentences)
    {
        var n = sentences.Count;
        var tokens = sentences.Select(Tokens).ToArray();
        var weights = new double[n, n];
        var outSum = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var w = Similarity(tokens[i], tokens[j]);
                weights[i, j] = weights[j, i] = w;
                outSum[i] += w;
                outSum[j] += w;
            }
        }

        var score = Enumerable.Repeat(1.0, n).ToArray();
        var next = new double[n];
        for (var iter = 0; iter < Iterations; iter++)
        {
            for (var i = 0; i < n; i++)
            {
                double sum = 0;
                for (var j = 0; j < n; j++)
                    if (weights[j, i] > 0 && outSum[j] > 0) sum += weights[j, i] / outSum[j] * score[j];
                next[i] = 1 - Damping + Damping * sum;
            }
            (score, next) = (next, score);
        }
        return score;
    }

    /// <summary>Lower-cased content words of three or more letters, stop words left out.</summary>
    public static HashSet<string> Tokens(string sentence)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        foreach (var ch in sentence.Append(' '))
        {
            if (char.IsLetterOrDigit(ch)) { sb.Append(char.ToLowerInvariant(ch)); continue; }
            if (sb.Length > 2 && !StopWords.Contains(sb.ToString())) set.Add(sb.ToString());
            sb.Clear();
        }
        return set;
    }

    private static double Similarity(HashSet<string> a, HashSet<string> b)
    {
        if (a.Count < 2 || b.Count < 2) return 0;
        var overlap = a.Count(b.Contains);
        return overlap == 0 ? 0 : overlap / (Math.Log(a.Count) + Math.Log(b.Count));
    }

    private static bool IsUsable(string sentence)
    {
        var words = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return words is >= 4 and <= 80 && sentence.Any(char.IsLetter);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // A boundary is terminal punctuation (optionally closed by a quote/bracket) followed by space and a capital,
    // digit or opening quote; "e.g. the" therefore stays one sentence.
    [GeneratedRegex(@"(?<=[.!?][""”’)\]]?)\s+(?=[\p{Lu}\d""“‘(\[])")]
    private static partial Regex SentenceBoundary();
}

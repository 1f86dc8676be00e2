using System.Text.RegularExpressions;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>A key term: its lower-case key, the spelling most often used, and how often it occurs.</summary>
public sealed record Term(string Key, string Display, int Count, double Score)
{
    public int Words => Key.Count(c => c == ' ') + 1;
}

/// <summary>
/// Key terms from running text without a model: runs of content words (one to three words, split at stop words and
/// punctuation) that recur, scored by frequency and length, with phrases absorbing the single words they contain. A broad
/// stop list keeps out the filler of speech ("going", "really", "basically") and the words of a table of contents.
/// </summary>
public static partial class TermExtractor
{
    public static IReadOnlyList<Term> Extract(IEnumerable<string> sentences, int max)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var spellings = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
        {
            foreach (var run in Runs(sentence))
                for (var n = 1; n <= 3; n++)
                    for (var i = 0; i + n <= run.Count; i++)
                    {
                        var words = run.Skip(i).Take(n).ToList();
                        var key = string.Join(' ', words.Select(w => w.ToLowerInvariant()));
                        counts[key] = counts.GetValueOrDefault(key) + 1;
                        var forms = spellings.TryGetValue(key, out var f) ? f : spellings[key] = new(StringComparer.Ordinal);
                        var form = string.Join(' ', words);
                        forms[form] = forms.GetValueOrDefault(form) + 1;
                    }
            if (DefinitionSubject(sentence) is { } subject) defined.Add(subject);
        }

        var candidates = counts
            .Where(kv => kv.Value >= 2 || defined.Contains(kv.Key))
            .Where(kv => Usable(kv.Key))
            .Select(kv =>
            {
                var n = kv.Key.Count(c => c == ' ') + 1;
                var score = kv.Value * (n == 1 ? 1.0 : 1.6 * n) + (defined.Contains(kv.Key) ? 3 : 0);
                return new Term(kv.Key, Display(spellings[kv.Key]), kv.Value, score);
            })
            .OrderByDescending(t => t.Score).ThenBy(t => t.Key, StringComparer.Ordinal)
            .ToList();

        var chosen = new List<Term>();
        foreach (var term in candidates)
        {
            if (chosen.Count >= max) break;
            // A phrase absorbs its words when they rarely occur outside it ("light reactions" over "reactions"), and a word
            // already covered by a chosen phrase is not listed again.
            if (chosen.Any(c => c.Words > term.Words && Contains(c.Key, term.Key) && term.Count <= c.Count + 1)) continue;
            if (term.Words > 1 && chosen.Any(c => c.Words < term.Words && Contains(term.Key, c.Key) && c.Count > term.Count + 1)) continue;
            if (term.Words > 1) chosen.RemoveAll(c => c.Words < term.Words && Contains(term.Key, c.Key));
            chosen.Add(term);
        }
        return chosen;
    }

    /// <summary>"Chlorophyll is a pigment…" → "chlorophyll": the subject of a definition, lower case.</summary>
    public static string? DefinitionSubject(string sentence)
    {
        var m = DefinitionPattern().Match(sentence);
        if (!m.Success) return null;
        var subject = m.Groups["term"].Value.Trim().ToLowerInvariant();
        var words = subject.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length is >= 1 and <= 3 && words.All(w => !Stop.Contains(w) && w.Length > 2) ? subject : null;
    }

    /// <summary>The part after "X is …" of a definition sentence, or null.</summary>
    public static string? DefinitionBody(string sentence, string key)
    {
        var m = DefinitionPattern().Match(sentence);
        if (!m.Success || !string.Equals(m.Groups["term"].Value.Trim(), key, StringComparison.OrdinalIgnoreCase)) return null;
        var body = sentence[(m.Groups["verb"].Index + m.Groups["verb"].Length)..].Trim().TrimEnd('.', '!', ';');
        return body.Length < 8 ? null : char.ToUpperInvariant(body[0]) + body[1..] + ".";
    }

    public static bool Contains(string phrase, string part) =>
        $" {phrase} ".Contains($" {part} ", StringComparison.Ordinal);

    /// <summary>Whether the sentence mentions the term as whole words.</summary>
    public static bool Mentions(string sentence, string key) =>
        Contains(" " + string.Join(' ', Words(sentence).Select(w => w.ToLowerInvariant())) + " ", key);

    public static IEnumerable<string> Words(string text) => WordPattern().Matches(text).Select(m => m.Value);

    private static IEnumerable<List<string>> Runs(string sentence)
    {
        var run = new List<string>();
        foreach (Match token in TokenPattern().Matches(sentence))
        {
            var word = token.Value;
            if (!char.IsLetter(word[0]) || Stop.Contains(word.ToLowerInvariant()) || word.Length < 3 || word.Any(char.IsDigit))
            {
                if (run.Count > 0) yield return run;
                run = [];
                continue;
            }
            run.Add(word);
        }
        if (run.Count > 0) yield return run;
    }

    private static bool Usable(string key)
    {
        var words = key.Split(' ');
        if (words.Length == 1 && (key.Length < 4 || key.EndsWith("ly", StringComparison.Ordinal) && key.Length > 5)) return false;
        return !words.Any(w => Stop.Contains(w)) && words.All(w => w.All(c => char.IsLetter(c) || c == '-' || c == '\''));
    }

    private static string Display(Dictionary<string, int> forms)
    {
        // Prefer the lower-case form unless the term is almost always capitalized (a name).
        var lower = forms.Where(f => !f.Key.Any(char.IsUpper)).Sum(f => f.Value);
        var total = forms.Values.Sum();
        return lower * 3 >= total ? forms.Keys.First().ToLowerInvariant() : forms.MaxBy(f => f.Value).Key;
    }

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'\-]*|[^\s\p{L}\p{N}]")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"\p{L}[\p{L}\p{N}'\-]*")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"^(?:(?:so|now|well|okay|and|first|second|third|next|finally)[,]?\s+)?(?:the\s+|an?\s+)?(?<term>[\p{L}][\p{L}\-]*(?:\s+[\p{L}][\p{L}\-]*){0,2}?)\s+(?<verb>is|are|means|refers to|describes|is called|is known as)\s+(?:the|an?|when|how|what|where|that)?\b", RegexOptions.IgnoreCase)]
    private static partial Regex DefinitionPattern();

    /// <summary>Function words, filler of speech, and the words of document furniture (contents, chapter, page).</summary>
    public static readonly HashSet<string> Stop = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "but", "nor", "so", "yet", "for", "of", "to", "in", "on", "at", "by", "with", "from", "into",
        "onto", "upon", "over", "under", "about", "above", "below", "between", "through", "during", "before", "after", "since",
        "until", "while", "as", "than", "then", "that", "this", "these", "those", "there", "here", "where", "when", "what",
        "which", "who", "whom", "whose", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some",
        "such", "no", "not", "only", "own", "same", "too", "very", "can", "will", "just", "should", "would", "could", "might",
        "must", "shall", "may", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "doing", "done",
        "have", "has", "had", "having", "it", "its", "it's", "itself", "i", "me", "my", "we", "our", "us", "you", "your",
        "he", "him", "his", "she", "her", "they", "them", "their", "one", "ones", "also", "again", "further", "once", "out",
        "up", "down", "off", "if", "because", "until", "against", "among", "within", "without", "across", "along", "around",
        "get", "gets", "got", "getting", "go", "goes", "going", "gone", "went", "make", "makes", "made", "making", "take",
        "takes", "took", "taken", "come", "comes", "came", "see", "seen", "saw", "look", "looks", "looking", "know", "knows",
        "knew", "think", "thinks", "thought", "say", "says", "said", "tell", "told", "talk", "talked", "talking", "want",
        "wants", "need", "needs", "use", "uses", "used", "using", "like", "likes", "let", "lets", "let's", "put", "give",
        "gives", "gave", "given", "find", "finds", "found", "call", "calls", "called", "mean", "means", "meant", "really",
        "actually", "basically", "probably", "maybe", "perhaps", "quite", "rather", "pretty", "lot", "lots", "thing", "things",
        "something", "anything", "everything", "nothing", "someone", "anyone", "everyone", "way", "ways", "kind", "kinds",
        "sort", "bit", "okay", "ok", "yeah", "yes", "right", "well", "now", "today", "first", "second", "third", "next",
        "last", "finally", "new", "old", "good", "great", "big", "small", "many", "much", "even", "still", "already", "ever",
        "never", "always", "often", "usually", "sometimes", "however", "therefore", "thus", "hence", "example", "examples",
        "instance", "fact", "part", "parts", "point", "points", "case", "cases", "time", "times", "lecture", "lectures",
        "today's", "chapter", "chapters", "section", "sections", "page", "pages", "contents", "table", "figure", "figures",
        "introduction", "conclusion", "summary", "appendix", "index", "references", "question", "questions", "answer",
        "remember", "important", "different", "another", "every", "whole", "able", "keep", "keeps", "start", "starts",
        "begin", "begins", "end", "ends", "turn", "turns", "become", "becomes", "became", "seem", "seems", "work", "works",
        "happen", "happens", "happened", "try", "tries", "called", "known", "include", "includes", "including", "following",
        "follows", "course", "class", "students", "student", "idea", "ideas", "understand", "look", "show", "shows",
        "talks", "speaker", "video", "slide", "slides", "minute", "minutes", "second", "seconds", "hour", "hours", "day", "days",
        "year", "years", "s", "t", "don't", "doesn't", "isn't", "aren't", "can't", "won't", "we're", "you're", "they're",
        "that's", "there's", "what's", "i'm", "i've", "we've", "you've",
    };
}

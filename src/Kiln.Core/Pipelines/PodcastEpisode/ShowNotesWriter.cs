using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Core.Ai;
using Kiln.Core.Media.Speech;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>Show notes drafted from the transcript.</summary>
public sealed record EpisodeNotes(string Summary, IReadOnlyList<string> KeyPoints, IReadOnlyList<string> Links, IReadOnlyList<string> Guests)
{
    public static readonly EpisodeNotes Empty = new("", [], [], []);
}

/// <summary>
/// Asks the text engine for the summary, the key points and each chapter's title, one request each, with the
/// transcript as the source. An LLM reads the prompt; the offline extractive engine reads the <see cref="ChatHints"/>
/// and answers with the transcript's most central sentences. Links and guest names are found in the transcript by
/// pattern for every engine (spoken "example dot com" included), so they never depend on a model's memory.
/// </summary>
public sealed partial class ShowNotesWriter(IChatClient chat)
{
    // Small local models' context windows: a long episode is cut, not summarized recursively.
    private const int MaxSourceChars = 12_000;
    private const int MaxTitleWords = 8;

    public async Task<EpisodeNotes> WriteNotesAsync(Transcript transcript, string title, CancellationToken ct)
    {
        var source = SourceText(transcript.Segments);
        var summary = await AskAsync(
            "You write show notes for a podcast episode from its transcript. Write a summary of two or three sentences " +
            "in plain prose, without a heading or markdown. Use only what the transcript says.",
            $"Episode: {title}", source, 3, ct);
        var points = await AskAsync(
            "List the three to five key points of this podcast episode, one per line, each line starting with \"- \". " +
            "No heading, no other text. Use only what the transcript says.",
            $"Episode: {title}", source, 8, ct);
        summary = Tidy(summary);
        // An extractive engine answers both from the same ranking: a point the summary already says is left out.
        var keyPoints = ParsePoints(points).Where(p => !summary.Contains(p, StringComparison.OrdinalIgnoreCase)).Take(5).ToList();
        return new EpisodeNotes(summary, keyPoints, FindLinks(transcript.Text), FindGuests(transcript.Text));
    }

    /// <summary>Titles for chapters starting at <paramref name="starts"/>, from the words spoken in each.</summary>
    public async Task<IReadOnlyList<EpisodeChapter>> TitleChaptersAsync(IReadOnlyList<double> starts, IReadOnlyList<TranscriptSegment> segments, double duration, CancellationToken ct)
    {
        var chapters = new List<EpisodeChapter>();
        for (var i = 0; i < starts.Count; i++)
        {
            var end = i + 1 < starts.Count ? starts[i + 1] : duration + 1;
            var inside = segments.Where(s => (s.Start + s.End) / 2 >= starts[i] && (s.Start + s.End) / 2 < end).ToList();
            var title = "";
            if (inside.Count > 0)
                title = CleanTitle(await AskAsync(
                    "Write a short title (at most six words) for this part of a podcast episode. Output only the title, without quotes.",
                    $"Part {i + 1} of {starts.Count}", SourceText(inside), 1, ct));
            chapters.Add(new EpisodeChapter(starts[i], title.Length > 0 ? title : $"Part {i + 1}"));
        }
        return chapters;
    }

    private async Task<string> AskAsync(string system, string heading, string source, int sentences, CancellationToken ct)
    {
        var options = new ChatOptions
        {
            Temperature = 0.3f,
            AdditionalProperties = new AdditionalPropertiesDictionary { [ChatHints.MaxTurns] = sentences.ToString(CultureInfo.InvariantCulture) },
        };
        var user = $"{heading}\n{ChatHints.SourceStart}\n{source}\n{ChatHints.SourceEnd}";
        try
        {
            var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, user)], options, ct);
            return response.Text ?? "";
        }
        // Provider failures are classified by the host by their HTTP status (429/5xx retried, other 4xx not).
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineException and not HttpRequestException and not TimeoutException)
        {
            throw new PipelineException("ai_failed", "The text engine did not answer; the job will be retried.", transient: true, inner: ex);
        }
    }

    /// <summary>Segments as sentences: engines without punctuation (pocketsphinx) give lowercase phrases, which the
    /// sentence ranking would otherwise read as one endless sentence.</summary>
    internal static string SourceText(IEnumerable<TranscriptSegment> segments)
    {
        var sb = new StringBuilder();
        foreach (var s in segments)
        {
            var text = Sentence(s.Text);
            if (text.Length == 0) continue;
            if (sb.Length + text.Length > MaxSourceChars) break;
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(text);
        }
        return sb.ToString();
    }

    internal static string Sentence(string text)
    {
        text = Regex.Replace(text.Trim(), @"\s+", " ");
        if (text.Length == 0) return "";
        text = char.ToUpperInvariant(text[0]) + text[1..];
        text = StandaloneI().Replace(text, "I");
        return text[^1] is '.' or '!' or '?' ? text : text + ".";
    }

    internal static string Tidy(string text) => Regex.Replace(text.Replace("**", "", StringComparison.Ordinal).Trim(), @"\s+", " ");

    internal static IReadOnlyList<string> ParsePoints(string reply)
    {
        var lines = reply.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var bullets = lines.Select(l => Bullet().Match(l)).Where(m => m.Success).Select(m => Tidy(m.Groups[1].Value)).Where(l => l.Length > 0).ToList();
        var points = bullets.Count > 0 ? bullets : TextRank.SplitSentences(Tidy(reply)).Select(Tidy).Where(s => s.Length > 0).ToList();
        return points.Distinct(StringComparer.OrdinalIgnoreCase).Take(7).ToList();
    }

    internal static string CleanTitle(string reply)
    {
        var line = reply.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        line = TitlePrefix().Replace(Tidy(line), "").Trim().Trim('"', '\'', '“', '”', '#', '*', ' ').TrimEnd('.', '!', '?', ',', ';', ':');
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > MaxTitleWords)
        {
            // An extractive answer is a whole sentence: keep its opening words, stopped before a dangling small word.
            var take = words.Take(MaxTitleWords).ToList();
            while (take.Count > 3 && SmallWords.Contains(take[^1].ToLowerInvariant())) take.RemoveAt(take.Count - 1);
            line = string.Join(' ', take).TrimEnd(',', ';', ':');
        }
        return line.Length == 0 ? "" : char.ToUpperInvariant(line[0]) + line[1..];
    }

    private static readonly HashSet<string> SmallWords = ["a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "is", "are", "was", "we", "you", "it", "that", "this", "but", "so", "if", "about", "by", "from", "as"];

    private static readonly string[] Tlds = ["com", "org", "net", "io", "dev", "fm", "co", "uk", "edu", "gov", "ai", "app", "info", "me", "tv", "de", "fr", "es", "eu"];

    /// <summary>Web addresses said or written in the transcript ("kiln dot example dot com", "example.org/show"), as https links.</summary>
    public static IReadOnlyList<string> FindLinks(string text)
    {
        var links = new List<string>();
        text = WwwSpokenLetters().Replace(text, "www");
        var tlds = string.Join('|', Tlds);
        var spoken = new Regex($@"\b((?:[a-z0-9][a-z0-9-]*\s+dot\s+)+(?:{tlds}))\b(?:\s+slash\s+([a-z0-9-]+))?", RegexOptions.IgnoreCase);
        foreach (Match m in spoken.Matches(text))
        {
            var host = Regex.Replace(m.Groups[1].Value.ToLowerInvariant(), @"\s+dot\s+", ".");
            links.Add("https://" + host + (m.Groups[2].Success ? "/" + m.Groups[2].Value.ToLowerInvariant() : ""));
        }
        var written = new Regex($@"\b(?:https?://)?((?:[a-z0-9][a-z0-9-]*\.)+(?:{tlds}))\b(/[^\s""'<>)\]]*)?", RegexOptions.IgnoreCase);
        foreach (Match m in written.Matches(text))
            links.Add("https://" + m.Groups[1].Value.ToLowerInvariant() + m.Groups[2].Value.TrimEnd('.', ',', ';', ':', '!', '?'));
        return links.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static readonly HashSet<string> NotNames =
        ["the", "a", "an", "to", "back", "everyone", "everybody", "all", "listeners", "our", "my", "you", "and", "here", "with", "is", "again", "in", "on", "episode", "show", "today", "this", "me", "us", "guest", "guests", "one", "two", "someone", "somebody", "friends", "folks", "very", "really", "so"];

    /// <summary>Names introduced as guests ("my guest today is Maria Lopez", "joined by …", "please welcome …").</summary>
    public static IReadOnlyList<string> FindGuests(string text)
    {
        var guests = new List<string>();
        foreach (Match m in GuestIntro().Matches(text))
        {
            var words = m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).TakeWhile(w => !NotNames.Contains(w.ToLowerInvariant())).ToList();
            if (words.Count == 0) continue;
            guests.Add(string.Join(' ', words.Select(w => char.ToUpperInvariant(w[0]) + w[1..])));
        }
        return guests.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    [GeneratedRegex(@"(?:(?:my|our) guests? (?:today |this week |tonight |on the show )?(?:is|are)|(?:joined|here) (?:today |again )?(?:by|with)|please welcome) (?:the )?([A-Za-z][\w'-]+(?: [A-Za-z][\w'-]+)?)", RegexOptions.IgnoreCase)]
    private static partial Regex GuestIntro();

    [GeneratedRegex(@"^\s*(?:[-*•]|\d+[.)])\s+(.+)$")]
    private static partial Regex Bullet();

    [GeneratedRegex(@"^(?:chapter\s+)?title\s*:\s*", RegexOptions.IgnoreCase)]
    private static partial Regex TitlePrefix();

    [GeneratedRegex(@"\bi\b")]
    private static partial Regex StandaloneI();

    [GeneratedRegex(@"\bw w w\b", RegexOptions.IgnoreCase)]
    private static partial Regex WwwSpokenLetters();
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Core.Ai;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>
/// Asks the configured <see cref="IChatClient"/> for one chapter's dialogue and parses "Name: text" lines back.
/// The same request serves an LLM (via the prompt) and the extractive engine (via <see cref="ChatHints"/>).
/// </summary>
public sealed partial class ScriptWriter(IChatClient chat)
{
    // Context windows of small local models; longer chapters are cut, not summarized recursively.
    private const int MaxSourceChars = 12_000;
    private const int MaxTurnChars = 2_000;

    public async Task<IReadOnlyList<ScriptTurn>> WriteChapterAsync(Chapter chapter, int chapterCount, PdfPodcastOptions options, CancellationToken ct)
    {
        var turns = TurnsFor(chapter.Text);
        var source = chapter.Text.Length > MaxSourceChars ? chapter.Text[..MaxSourceChars] : chapter.Text;
        var system = $"""
            You write the script of a two-host educational podcast. The hosts are {options.HostA} and {options.HostB}.
            Style: {(options.Style == PdfPodcastOptions.Lecture
                ? $"{options.HostA} explains like a lecturer; {options.HostB} asks short questions."
                : "a relaxed conversation where both hosts explain and react.")}
            Write about {turns} turns. Output only dialogue lines of the form "Name: what they say", one turn per line,
            with no stage directions, headings or markdown. Use only facts from the source text.
            """;
        var user = $"Chapter {chapter.Index} of {chapterCount}: {chapter.Title}\n{ChatHints.SourceStart}\n{source}\n{ChatHints.SourceEnd}";
        var chatOptions = new ChatOptions
        {
            Temperature = 0.4f,
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [ChatHints.Task] = ChatHints.DialogueTask,
                [ChatHints.Hosts] = $"{options.HostA}|{options.HostB}",
                [ChatHints.Title] = SpokenTitle(chapter.Title),
                [ChatHints.Style] = options.Style,
                [ChatHints.MaxTurns] = turns.ToString(CultureInfo.InvariantCulture),
                [ChatHints.Chapter] = $"{chapter.Index}/{chapterCount}",
            },
        };
        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, user)], chatOptions, ct);
        return CitePages(Parse(response.Text, options.HostA, options.HostB), chapter);
    }

    /// <summary>
    /// Gives each turn the pages it draws on: the pages whose text shares the most words with each of its sentences
    /// (quoted sentences match exactly; paraphrases by overlap). A turn that matches nothing cites the whole chapter.
    /// </summary>
    public static IReadOnlyList<ScriptTurn> CitePages(IReadOnlyList<ScriptTurn> turns, Chapter chapter)
    {
        var whole = new PageSpan(chapter.FirstPage, chapter.LastPage);
        var pages = chapter.Lines.Where(l => l.Text.Length > 0).GroupBy(l => l.Page)
            .Select(g => (Page: g.Key, Words: TextRank.Tokens(string.Join(' ', g.Select(l => l.Text))))).ToList();
        if (pages.Count == 0) return turns.Select(t => t with { Pages = t.Pages ?? whole }).ToList();
        var cites = turns.Select(turn =>
        {
            var cited = new List<int>();
            foreach (var sentence in TextRank.SplitSentences(turn.Text))
            {
                var words = TextRank.Tokens(sentence);
                if (words.Count < 3) continue;
                var best = pages.Select(p => (p.Page, Score: words.Count(p.Words.Contains) / (double)words.Count)).MaxBy(x => x.Score);
                if (best.Score >= 0.6) cited.Add(best.Page);
            }
            return cited.Count > 0 ? new PageSpan(cited.Min(), cited.Max()) : null;
        }).ToList();
        // A question or reaction quotes nothing: it cites what the next turn answers from.
        for (var i = cites.Count - 2; i >= 0; i--) cites[i] ??= cites[i + 1];
        return turns.Select((t, i) => t with { Pages = t.Pages ?? cites[i] ?? whole }).ToList();
    }

    /// <summary>Intro and outro turns, written here so every engine gets the same framing.</summary>
    public static IReadOnlyList<ScriptTurn> Intro(string title, IReadOnlyList<Chapter> chapters, PdfPodcastOptions options) =>
    [
        new(options.HostA, $"Welcome! I'm {options.HostA}, and with me is {options.HostB}. Today we're going through \"{title}\"."),
        new(options.HostB, chapters.Count == 1
            ? "It's a short one, so let's get right into it."
            : $"We'll take it in {chapters.Count} parts, starting with {SpokenTitle(chapters[0].Title)}."),
    ];

    public static IReadOnlyList<ScriptTurn> Outro(string title, PdfPodcastOptions options) =>
    [
        new(options.HostA, $"And that's our tour of \"{title}\"."),
        new(options.HostB, "Thanks for listening, and see you next time."),
    ];

    /// <summary>"2.1 Methods" is read aloud as "Methods": section numbers mean nothing to a listener.</summary>
    public static string SpokenTitle(string title)
    {
        var stripped = LeadingNumber().Replace(title, "").Trim();
        return stripped.Length > 0 ? stripped : title;
    }

    /// <summary>Longer chapters get more turns, within what a listener follows in one sitting.</summary>
    internal static int TurnsFor(string text) => Math.Clamp(4 + text.Length / 1500, 4, 14);

    /// <summary>
    /// Reads "Name: text" lines; tolerates markdown bold around names and continuation lines. A reply with no
    /// recognizable speaker is still used, split into paragraphs and alternated between the hosts.
    /// </summary>
    public static IReadOnlyList<ScriptTurn> Parse(string reply, string hostA, string hostB)
    {
        var turns = new List<(string Speaker, StringBuilder Text)>();
        foreach (var raw in reply.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var m = SpeakerLine().Match(line);
            var speaker = m.Success ? MatchHost(m.Groups[1].Value.Trim(), hostA, hostB) : null;
            if (speaker is not null)
                turns.Add((speaker, new StringBuilder(m.Groups[2].Value.Trim())));
            else if (turns.Count > 0)
                turns[^1].Text.Append(' ').Append(line);
        }
        if (turns.Count == 0)
        {
            return reply.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select((p, i) => new ScriptTurn(i % 2 == 0 ? hostA : hostB, Cap(p.ReplaceLineEndings(" "))))
                .ToList();
        }
        return turns.Where(t => t.Text.Length > 0).Select(t => new ScriptTurn(t.Speaker, Cap(t.Text.ToString()))).ToList();
    }

    private static string? MatchHost(string name, string hostA, string hostB) =>
        string.Equals(name, hostA, StringComparison.OrdinalIgnoreCase) ? hostA
        : string.Equals(name, hostB, StringComparison.OrdinalIgnoreCase) ? hostB
        : null;

    private static string Cap(string text) => text.Length <= MaxTurnChars ? text : text[..MaxTurnChars].TrimEnd() + "…";

    [GeneratedRegex(@"^(?:(?:chapter|part|section)\s+)?(?:\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,6})[.:)]?\s+", RegexOptions.IgnoreCase)]
    private static partial Regex LeadingNumber();

    [GeneratedRegex(@"^[*_]*([^:*_]{1,40}?)[*_]*\s*:[*_]*\s*(.*)$")]
    private static partial Regex SpeakerLine();
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Ai;

/// <summary>
/// The offline default engine: no model, only <see cref="TextRank"/>. It answers a dialogue request (see
/// <see cref="ChatHints"/>) with "Name: text" lines: an opener that names the chapter and its topic words, then for each
/// of the most central sentences a question built from it (a definition, or its key term) and the sentence as the
/// answer, with varied phrasing that never repeats back to back; anything else gets a summary. Deterministic: the same input always gives the same output, which tests and reproducible jobs rely on.
/// </summary>
public sealed partial class ExtractiveChatClient : IChatClient
{
    public const string ProviderName = "kiln-extractive";
    private const int DefaultMaxTurns = 8;

    // Phrasing pools. A pool is walked in a per-chapter order and never yields the same entry twice in a row.
    private static readonly string[] FirstOpeners = ["Let's start with {0}.", "First up: {0}.", "We begin with {0}."];
    private static readonly string[] NextOpeners = ["Next up: {0}.", "Let's turn to {0}.", "Moving on to {0}.", "Now for {0}.", "On to {0}."];
    private static readonly string[] LastOpeners = ["Finally, {0}.", "Last stop: {0}.", "To finish, {0}."];
    private static readonly string[] Topics = [" This part is mostly about {0}.", " The big themes here are {0}.", " You'll hear a lot about {0}.", " It centres on {0}."];
    private static readonly string[] Questions =
    [
        "What does it say about {0}?", "Tell me more about {0}.", "What should we know about {0}?", "And {0}? What's the story there?",
        "Can you walk me through {0}?", "What about {0}?", "How does it handle {0}?", "Where do we stand on {0}?",
    ];
    private static readonly string[] DefinitionQuestions = ["So what is {0}?", "What exactly is {0}?", "Remind me, what is {0}?"];
    private static readonly string[] Reactions = ["Got it.", "Makes sense.", "Okay.", "Good to know.", "Clear enough.", "Noted.", "Fair enough."];
    private static readonly string[] LeadIns = ["", "", "", "The text puts it like this: ", "Here's the key passage: ", "", "Quoting it directly: "];
    private static readonly string[] Additions = ["And there's more: ", "It also says this: ", "Another point: ", "Worth adding: ", "On top of that: "];
    private static readonly string[] Closers = ["So that's {0}: {1}.", "That wraps up {0}; the thread running through it is {1}.", "That's {0} in a nutshell: {1}."];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var text = Respond(messages, options);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { ModelId = ProviderName, FinishReason = ChatFinishReason.Stop });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        yield return new ChatResponseUpdate(ChatRole.Assistant, response.Text) { ModelId = ProviderName, FinishReason = ChatFinishReason.Stop };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata(ProviderName) : null;

    public void Dispose() { }

    private static string Respond(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var source = SourceText(messages);
        var maxTurns = int.TryParse(ChatHints.GetString(options, ChatHints.MaxTurns), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m > 0
            ? m : DefaultMaxTurns;
        if (ChatHints.GetString(options, ChatHints.Task) != ChatHints.DialogueTask)
            return string.Join(' ', TextRank.TopSentences(source, maxTurns));

        var hosts = (ChatHints.GetString(options, ChatHints.Hosts) ?? "Alex|Sam").Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var a = hosts.ElementAtOrDefault(0) ?? "Alex";
        var b = hosts.ElementAtOrDefault(1) ?? "Sam";
        var title = ChatHints.GetString(options, ChatHints.Title);
        var lecture = string.Equals(ChatHints.GetString(options, ChatHints.Style), "lecture", StringComparison.OrdinalIgnoreCase);
        var chapter = ParseChapter(ChatHints.GetString(options, ChatHints.Chapter));
        // Each question and answer is two turns, so half as many key sentences keep the length the caller asked for.
        var speakable = string.Join(' ', TextRank.SplitSentences(source).Where(Speakable));
        var sentences = TextRank.TopSentences(speakable, Math.Max(2, (maxTurns + 1) / 2));
        var pick = new Picker(StableHash($"{title}|{chapter.Index}"));
        return Conversation(a, b, title, sentences, pick, chapter, TopicWords(speakable, title, 3), lecture);
    }

    private static string Conversation(string a, string b, string? title, IReadOnlyList<string> sentences, Picker pick, (int Index, int Count) chapter, List<string> topics, bool lecture)
    {
        var sb = new StringBuilder();
        var name = title ?? "this part";
        var openers = chapter.Count <= 1 || chapter.Index == 1 ? FirstOpeners : chapter.Index == chapter.Count ? LastOpeners : NextOpeners;
        sb.Append(a).Append(": ").Append(Fmt(pick.From(openers), name));
        if (topics.Count > 0) sb.Append(Fmt(pick.From(Topics), JoinList(topics)));
        if (sentences.Count == 0) return sb.Append('\n').Append(b).Append(": There isn't much text here, so let's move on.").ToString();
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var last = a;
        for (var i = 0; i < sentences.Count; i++)
        {
            // Lecture: the second host asks, the first explains. Conversational: the hosts alternate, and every second key
            // sentence is added by the host who just asked, so both explain and no one speaks twice in a row.
            if (!lecture && i % 2 == 1)
            {
                var adder = last == a ? b : a;
                sb.Append('\n').Append(adder).Append(": ").Append(pick.From(Reactions)).Append(' ').Append(pick.From(Additions)).Append(sentences[i]);
                last = adder;
                continue;
            }
            var asker = lecture ? b : last == a ? b : a;
            var answerer = asker == a ? b : a;
            var reaction = lecture && i > 0 ? pick.From(Reactions) + " " : "";
            sb.Append('\n').Append(asker).Append(": ").Append(reaction).Append(Question(sentences[i], topics, used, pick));
            sb.Append('\n').Append(answerer).Append(": ").Append(pick.From(LeadIns)).Append(sentences[i]);
            last = answerer;
        }
        var closer = last == a ? b : a;
        if (topics.Count > 0) sb.Append('\n').Append(closer).Append(": ").Append(Fmt(pick.From(Closers), name, JoinList(topics.Take(2).ToList())));
        return sb.ToString();
    }

    /// <summary>A question the sentence answers: "What is X?" for a definition, else about its most important term.</summary>
    private static string Question(string sentence, List<string> topics, HashSet<string> used, Picker pick)
    {
        var def = Definition().Match(sentence);
        if (def.Success && def.Groups[1].Value.Split(' ').Length <= 4 && used.Add(def.Groups[1].Value.Trim()))
            return Fmt(pick.From(DefinitionQuestions), def.Groups[1].Value.Trim());
        // The sentence's own most specific word that has not been asked about yet, else a topic word it mentions.
        var words = TextRank.Tokens(sentence);
        var own = sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim(',', '.', ';', ':', '(', ')', '"', '“', '”', '•'))
            .Where(w => w.Length > 3 && !char.IsDigit(w[0]) && words.Contains(w.ToLowerInvariant()) && !used.Contains(w))
            .OrderByDescending(w => topics.Contains(w, StringComparer.OrdinalIgnoreCase) ? 0 : w.Length).FirstOrDefault();
        var term = own ?? topics.FirstOrDefault(t => words.Contains(t.ToLowerInvariant())) ?? "this";
        used.Add(term);
        return Fmt(pick.From(Questions), term);
    }

    /// <summary>The most frequent content words of the source, in their most common spelling.</summary>
    private static List<string> TopicWords(string source, string? title, int count)
    {
        var titleWords = TextRank.Tokens(title ?? "");
        var spellings = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var raw in WordPattern().Matches(source).Select(m => m.Value))
        {
            var key = raw.ToLowerInvariant();
            if (key.Length < 4 || titleWords.Contains(key) || !TextRank.Tokens(raw).Contains(key)) continue;
            var forms = spellings.TryGetValue(key, out var f) ? f : spellings[key] = new(StringComparer.Ordinal);
            forms[raw] = forms.GetValueOrDefault(raw) + 1;
        }
        return spellings.Where(kv => kv.Value.Values.Sum() >= 2)
            .OrderByDescending(kv => kv.Value.Values.Sum()).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(count).Select(kv => kv.Value.MaxBy(x => x.Value).Key).ToList();
    }

    private static string JoinList(List<string> items) => items.Count switch
    {
        0 => "",
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1],
    };

    private static string Fmt(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    /// <summary>Walks phrasing pools in a seeded order; never returns the same phrase twice in a row.</summary>
    private sealed class Picker(int seed)
    {
        private readonly Dictionary<string[], int> _next = new(ReferenceEqualityComparer.Instance);
        private string? _last;

        public string From(string[] pool)
        {
            var i = _next.TryGetValue(pool, out var n) ? n : (int)((uint)seed % (uint)pool.Length);
            var pick = pool[i % pool.Length];
            if (pick.Length > 0 && pick == _last) pick = pool[++i % pool.Length];
            _next[pool] = i + 1;
            if (pick.Length > 0) _last = pick;
            return pick;
        }
    }

    // Stable across runs and platforms (string.GetHashCode is randomized per process).
    private static int StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var ch in text) h = (h ^ ch) * 16777619u;
        return (int)(h & 0x7FFFFFFF);
    }

    // Sentences worth quoting aloud: not a notice, not code, not a list of symbols.
    private static bool Speakable(string sentence)
    {
        if (sentence.StartsWith("A table is skipped", StringComparison.Ordinal) || sentence.StartsWith("A code example is skipped", StringComparison.Ordinal)
            || sentence.StartsWith("Figure ", StringComparison.Ordinal) && sentence.Contains("not read aloud", StringComparison.Ordinal)) return false;
        var letters = sentence.Count(char.IsLetter);
        var symbols = sentence.Count(c => "{}()[]<>=*&|#/\\_;".Contains(c, StringComparison.Ordinal));
        return letters >= sentence.Length / 2 && symbols * 15 <= sentence.Length && sentence.Length <= 400;
    }

    [GeneratedRegex(@"^(?:The |An? )?([\p{L}][\p{L}\p{N}\- ]{1,40}?) (?:is|are) (?:an?|the) ")]
    private static partial Regex Definition();

    [GeneratedRegex(@"\p{L}[\p{L}\p{N}\-]+")]
    private static partial Regex WordPattern();

    private static (int Index, int Count) ParseChapter(string? hint)
    {
        var parts = (hint ?? "").Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var i) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var n) && i >= 1 && n >= i
            ? (i, n) : (1, 1);
    }

    private static string SourceText(IEnumerable<ChatMessage> messages)
    {
        var user = messages.LastOrDefault(x => x.Role == ChatRole.User)?.Text ?? "";
        var start = user.IndexOf(ChatHints.SourceStart, StringComparison.Ordinal);
        var end = user.LastIndexOf(ChatHints.SourceEnd, StringComparison.Ordinal);
        return start >= 0 && end > start ? user[(start + ChatHints.SourceStart.Length)..end] : user;
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Ai;

/// <summary>
/// The offline default engine: no model, only <see cref="TextRank"/>. It answers a dialogue request (see
/// <see cref="ChatHints"/>) with "Name: text" lines built from the most central sentences, and anything else with a
/// summary. Deterministic: the same input always gives the same output, which tests and reproducible jobs rely on.
/// </summary>
public sealed class ExtractiveChatClient : IChatClient
{
    public const string ProviderName = "kiln-extractive";
    private const int DefaultMaxTurns = 8;

    private static readonly string[] Reactions = ["Right.", "That's a key point.", "Interesting.", "Exactly.", "Good, and here's more.", "I see."];
    private static readonly string[] Prompts = ["Go on.", "What follows from that?", "Can you unpack that?", "And then?"];

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
        var sentences = TextRank.TopSentences(source, maxTurns);
        return lecture ? Lecture(a, b, title, sentences) : Conversation(a, b, title, sentences);
    }

    private static string Conversation(string a, string b, string? title, IReadOnlyList<string> sentences)
    {
        var sb = new StringBuilder();
        sb.Append(a).Append(": ").Append(title is null ? "Let's dig in." : $"Let's dig into {title}.");
        if (sentences.Count == 0) return sb.Append('\n').Append(b).Append(": There isn't much text here, so let's move on.").ToString();
        for (var i = 0; i < sentences.Count; i++)
        {
            // Turns alternate starting with the second host, so the opener's host does not speak twice in a row.
            var speaker = i % 2 == 0 ? b : a;
            var reaction = i == 0 ? "" : Reactions[(i - 1) % Reactions.Length] + " ";
            sb.Append('\n').Append(speaker).Append(": ").Append(reaction).Append(sentences[i]);
        }
        var closer = sentences.Count % 2 == 0 ? b : a;
        sb.Append('\n').Append(closer).Append(": ").Append(title is null ? "That covers this part." : $"That covers {title}.");
        return sb.ToString();
    }

    private static string Lecture(string a, string b, string? title, IReadOnlyList<string> sentences)
    {
        var sb = new StringBuilder();
        sb.Append(b).Append(": ").Append(title is null ? "What's this part about?" : $"What's {title} about?");
        if (sentences.Count == 0) return sb.Append('\n').Append(a).Append(": Not much, so let's move on.").ToString();
        // The lecturer speaks in pairs of sentences; the listener prompts between them.
        for (var i = 0; i < sentences.Count; i += 2)
        {
            if (i > 0) sb.Append('\n').Append(b).Append(": ").Append(Prompts[(i / 2 - 1) % Prompts.Length]);
            sb.Append('\n').Append(a).Append(": ").Append(string.Join(' ', sentences.Skip(i).Take(2)));
        }
        return sb.ToString();
    }

    private static string SourceText(IEnumerable<ChatMessage> messages)
    {
        var user = messages.LastOrDefault(x => x.Role == ChatRole.User)?.Text ?? "";
        var start = user.IndexOf(ChatHints.SourceStart, StringComparison.Ordinal);
        var end = user.LastIndexOf(ChatHints.SourceEnd, StringComparison.Ordinal);
        return start >= 0 && end > start ? user[(start + ChatHints.SourceStart.Length)..end] : user;
    }
}

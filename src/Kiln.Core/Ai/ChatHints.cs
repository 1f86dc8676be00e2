using Microsoft.Extensions.AI;

namespace Kiln.Core.Ai;

/// <summary>
/// Structured hints a caller passes in <see cref="ChatOptions.AdditionalProperties"/> next to the natural-language
/// prompt. LLMs read the prompt and ignore these; the offline <see cref="ExtractiveChatClient"/> cannot read prompts
/// and acts on these instead. That way a pipeline sends one request and never knows which engine answers.
/// </summary>
public static class ChatHints
{
    /// <summary>"dialogue" for a two-host script; anything else (or absent) asks for a summary.</summary>
    public const string Task = "kiln.task";
    public const string DialogueTask = "dialogue";
    /// <summary>Host names joined by '|'.</summary>
    public const string Hosts = "kiln.hosts";
    public const string Title = "kiln.title";
    /// <summary>"conversational" or "lecture".</summary>
    public const string Style = "kiln.style";
    public const string MaxTurns = "kiln.maxTurns";
    /// <summary>"index/count" of the chapter, e.g. "2/7": lets the extractive engine say "first", "next" or "finally".</summary>
    public const string Chapter = "kiln.chapter";

    /// <summary>Delimits the source text inside a user message, so the extractive engine ranks only the source.</summary>
    public const string SourceStart = "<source>";
    public const string SourceEnd = "</source>";

    internal static string? GetString(ChatOptions? options, string key) =>
        options?.AdditionalProperties?.TryGetValue(key, out var v) == true ? v?.ToString() : null;
}

namespace Kiln.Core.Media.Translation;

/// <summary>
/// Text translation, segment by segment: the answer has exactly one translation per input segment, in order, so a
/// dub keeps the source's segment boundaries (and therefore its timing). Engines: <c>apertium</c> offline (the pairs
/// whose modes are installed), <c>openai</c> (any OpenAI-compatible chat endpoint) and <c>deepl</c> over HTTP.
/// </summary>
public interface ITranslator
{
    /// <summary>The engine's name as configured.</summary>
    string Name { get; }

    /// <summary>Whether this engine translates <paramref name="source"/> → <paramref name="target"/> (ISO 639-1 codes).</summary>
    bool Supports(string source, string target);

    /// <summary>The target languages this engine offers from <paramref name="source"/>; null means "any language".</summary>
    IReadOnlySet<string>? Targets(string source);

    /// <summary>Translates each segment; returns one string per segment. HTTP failures surface as
    /// <see cref="HttpRequestException"/> with the status code (the pipeline host classifies 429/5xx as transient).</summary>
    Task<IReadOnlyList<string>> TranslateAsync(IReadOnlyList<string> segments, string source, string target, CancellationToken ct);
}

/// <summary>Bound from <c>Kiln:Translation</c>.</summary>
public sealed class TranslationOptions
{
    public const string Section = "Kiln:Translation";

    /// <summary><c>apertium</c> (default, offline), <c>openai</c> or <c>deepl</c>.</summary>
    public string Provider { get; set; } = "apertium";
    public OpenAiTranslationOptions OpenAi { get; set; } = new();
    public DeepLOptions DeepL { get; set; } = new();
}

public sealed class OpenAiTranslationOptions
{
    /// <summary>The API root, e.g. <c>https://api.openai.com/v1</c> or an Ollama/vLLM server's <c>/v1</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.openai.com/v1";
    public string? ApiKey { get; set; }
    public string Model { get; set; } = "gpt-4o-mini";
    public int TimeoutSeconds { get; set; } = 120;
}

public sealed class DeepLOptions
{
    /// <summary><c>https://api-free.deepl.com</c> for free keys, <c>https://api.deepl.com</c> for paid ones.</summary>
    public string BaseUrl { get; set; } = "https://api.deepl.com";
    public string? ApiKey { get; set; }
    public int TimeoutSeconds { get; set; } = 60;
}

namespace Kiln.Core.Ai;

/// <summary>
/// Bound from <c>Kiln:Ai</c>. Providers are configured by name under <c>Kiln:Ai:Providers:{name}</c>; the older flat
/// keys (<c>Provider</c>, <c>BaseUrl</c>, <c>ApiKey</c>, <c>Model</c>) still work and describe one provider named after
/// its kind (see <see cref="AiProviderCatalog"/>).
/// </summary>
public sealed class AiOptions
{
    public const string Section = "Kiln:Ai";

    /// <summary>The provider pipelines get when they (or the job) do not choose one. Falls back to <see cref="Provider"/>,
    /// then to the only configured provider, then to <c>extractive</c>.</summary>
    public string? DefaultProvider { get; set; }

    /// <summary>Named providers: <c>Kiln:Ai:Providers:{name}:Kind</c> and the rest of <see cref="AiProviderOptions"/>.</summary>
    public Dictionary<string, AiProviderOptions> Providers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long an identical call's answer is reused (0 turns the cache off).</summary>
    public double CacheHours { get; set; } = 24;

    /// <summary>Size limit of the default in-memory cache, in megabytes of cached answers.</summary>
    public int CacheSizeMegabytes { get; set; } = 64;

    // Older flat keys: one provider, named after its kind.

    /// <summary>Legacy: <c>extractive</c> (offline, deterministic), <c>openai</c> or <c>anthropic</c>.</summary>
    public string? Provider { get; set; }
    /// <summary>Legacy: the endpoint of the <see cref="Provider"/>.</summary>
    public string? BaseUrl { get; set; }
    /// <summary>Legacy: the key of the <see cref="Provider"/>.</summary>
    public string? ApiKey { get; set; }
    /// <summary>Legacy: the one model of the <see cref="Provider"/> (<c>gpt-4o-mini</c> for <c>openai</c>).</summary>
    public string? Model { get; set; }
}

/// <summary>One named provider, bound from <c>Kiln:Ai:Providers:{name}</c>.</summary>
public sealed class AiProviderOptions
{
    /// <summary><see cref="AiProviderKinds.OpenAi"/> (OpenAI, Ollama, vLLM, LM Studio…), <see cref="AiProviderKinds.Anthropic"/>
    /// or <see cref="AiProviderKinds.Extractive"/>.</summary>
    public string Kind { get; set; } = "";
    /// <summary>The endpoint; the vendor's own when empty. OpenAI-compatible servers include <c>/v1</c>
    /// (<c>http://localhost:11434/v1</c>); Anthropic's does not (<c>https://api.anthropic.com</c>).</summary>
    public string? BaseUrl { get; set; }
    public string? ApiKey { get; set; }
    /// <summary>The models a job may choose; the default model alone when empty.</summary>
    public List<string> Models { get; set; } = [];
    /// <summary>The model used when none is chosen; the first of <see cref="Models"/> when empty.</summary>
    public string? DefaultModel { get; set; }
    /// <summary>Limit of one attempt (the whole call may take up to <see cref="MaxRetries"/> + 1 of them, plus waits).</summary>
    public double TimeoutSeconds { get; set; } = 120;
    /// <summary>Retries after a 429, a 5xx, a timeout or a connection failure; other 4xx are never retried.</summary>
    public int MaxRetries { get; set; } = 3;
    /// <summary>First backoff wait; it doubles with each retry (with jitter) up to 30 s unless the server sends Retry-After.</summary>
    public double RetryDelaySeconds { get; set; } = 1;
    /// <summary>A Retry-After longer than this is not waited for: the call fails as transient and the job is retried later.</summary>
    public double MaxRetryAfterSeconds { get; set; } = 60;
    /// <summary>Anthropic requires a limit on the answer; used when the caller sets none.</summary>
    public int MaxOutputTokens { get; set; } = 4096;
    /// <summary>Prices per model (<c>Prices:{model}:InputPerMillion</c> / <c>OutputPerMillion</c>) for the cost estimate;
    /// a ':' in a model name is written '_' here (<c>Prices:llama3.1_8b</c>).</summary>
    public Dictionary<string, AiModelPrice> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>What the operator pays the provider per million tokens, in the operator's currency.</summary>
public sealed class AiModelPrice
{
    public decimal InputPerMillion { get; set; }
    public decimal OutputPerMillion { get; set; }

    public decimal CostOf(long inputTokens, long outputTokens) =>
        (inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m;
}

public static class AiProviderKinds
{
    public const string OpenAi = "openai";
    public const string Anthropic = "anthropic";
    public const string Extractive = "extractive";
}

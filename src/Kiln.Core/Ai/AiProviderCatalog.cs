using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Anthropic;
using Anthropic.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;

namespace Kiln.Core.Ai;

/// <summary>A configured provider as jobs and admin pages see it (never its key).</summary>
public sealed record AiProviderInfo(string Name, string Kind, IReadOnlyList<string> Models, string DefaultModel);

/// <summary>The configured AI providers, for choosing one per job.</summary>
public interface IAiProviders
{
    /// <summary>The provider behind the default <see cref="IChatClient"/>.</summary>
    string DefaultProvider { get; }

    IReadOnlyList<AiProviderInfo> Providers { get; }

    /// <summary>
    /// The client for a provider and model (the defaults when null): resilient, cached and usage-recording, shared
    /// for the life of the process (do not dispose it). Throws <see cref="UnknownAiProviderException"/> for a provider
    /// or model the operator did not configure.
    /// </summary>
    IChatClient GetChatClient(string? provider = null, string? model = null);

    /// <summary>The configured price of a model, or null.</summary>
    AiModelPrice? PriceOf(string provider, string model);
}

/// <summary>A job or a configuration asked for a provider or model that is not configured.</summary>
public sealed class UnknownAiProviderException(string message) : ArgumentException(message);

/// <summary>
/// Builds each provider's <see cref="IChatClient"/> from <see cref="AiOptions"/>:
/// <c>openai</c> through Microsoft.Extensions.AI.OpenAI over the OpenAI SDK, <c>anthropic</c> through the official
/// Anthropic SDK's own <c>AsIChatClient</c>, <c>extractive</c> the offline engine as it is (free, deterministic, never
/// failing transiently: nothing to retry, cache or bill). Remote clients are wrapped, outermost first, in
/// <see cref="UsageRecordingChatClient"/> → <see cref="CachingAiChatClient"/> → <see cref="ResilientChatClient"/>, and
/// the SDKs' own retries are turned off so that retries happen once, in one place.
/// </summary>
public sealed class AiProviderCatalog : IAiProviders, IDisposable
{
    private readonly Dictionary<string, AiProviderOptions> _options;
    private readonly Dictionary<string, AiProviderInfo> _providers;
    private readonly ConcurrentDictionary<(string, string), Lazy<IChatClient>> _clients = new();
    private readonly ConcurrentDictionary<string, HttpClient> _http = new(StringComparer.OrdinalIgnoreCase);
    private readonly IChatClient _extractive;
    private readonly IAiUsageSink _usage;
    private readonly IDistributedCache _cache;
    private readonly TimeSpan _cacheTtl;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;

    public AiProviderCatalog(AiOptions options, IChatClient extractive, IAiUsageSink usage, IDistributedCache cache,
        TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        _extractive = extractive;
        _usage = usage;
        _cache = cache;
        _cacheTtl = TimeSpan.FromHours(Math.Max(0, options.CacheHours));
        _time = time ?? TimeProvider.System;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _options = Normalize(options);
        _providers = _options.ToDictionary(p => p.Key, p => Describe(p.Key, p.Value), StringComparer.OrdinalIgnoreCase);
        var defaultName = options.DefaultProvider ?? options.Provider
            ?? (options.Providers.Count == 1 ? options.Providers.Keys.First() : AiProviderKinds.Extractive);
        DefaultProvider = _providers.TryGetValue(defaultName, out var defaultInfo) ? defaultInfo.Name
            : throw new UnknownAiProviderException($"Kiln:Ai:DefaultProvider is '{defaultName}', but no provider of that name is configured under Kiln:Ai:Providers.");
    }

    public string DefaultProvider { get; }

    public IReadOnlyList<AiProviderInfo> Providers => [.. _providers.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)];

    public IChatClient GetChatClient(string? provider = null, string? model = null)
    {
        provider ??= DefaultProvider;
        if (!_providers.TryGetValue(provider, out var info))
            throw new UnknownAiProviderException($"No AI provider named '{provider}' is configured.");
        model ??= info.DefaultModel;
        if (!info.Models.Contains(model, StringComparer.OrdinalIgnoreCase))
            throw new UnknownAiProviderException($"The AI provider '{info.Name}' offers no model '{model}' (configured: {string.Join(", ", info.Models)}).");
        if (info.Kind == AiProviderKinds.Extractive) return _extractive;
        model = info.Models.First(m => string.Equals(m, model, StringComparison.OrdinalIgnoreCase));
        return _clients.GetOrAdd((info.Name, model), key => new Lazy<IChatClient>(() => Build(info, _options[info.Name], key.Item2))).Value;
    }

    /// <remarks>Configuration keys cannot hold ':', so a model such as <c>llama3.1:8b</c> is priced under <c>llama3.1_8b</c>.</remarks>
    public AiModelPrice? PriceOf(string provider, string model) =>
        !_options.TryGetValue(provider, out var o) ? null
        : o.Prices.FirstOrDefault(p => string.Equals(p.Key, model, StringComparison.OrdinalIgnoreCase)
            || string.Equals(p.Key, model.Replace(':', '_'), StringComparison.OrdinalIgnoreCase)).Value;

    private IChatClient Build(AiProviderInfo info, AiProviderOptions options, string model)
    {
        var resilience = AiResilienceOptions.From(options);
        var http = _http.GetOrAdd(info.Name, _ => new HttpClient(new ProviderHttpObserver(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }))
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan, // the resilience layer times each attempt
        });
        // The SDK's own limit only backs ours up.
        var sdkTimeout = resilience.Timeout == System.Threading.Timeout.InfiniteTimeSpan ? TimeSpan.FromHours(1) : resilience.Timeout + TimeSpan.FromSeconds(30);
        var inner = info.Kind switch
        {
            AiProviderKinds.OpenAi => OpenAi(options, model, http, sdkTimeout),
            AiProviderKinds.Anthropic => Anthropic(options, model, http, sdkTimeout),
            _ => throw new UnknownAiProviderException($"Unknown AI provider kind '{info.Kind}'."),
        };
        return new ChatClientBuilder(inner)
            .Use(c => new UsageRecordingChatClient(c, _usage, info.Name, model, m => PriceOf(info.Name, m), _time))
            .Use(c => new CachingAiChatClient(c, _cache, info.Name, model, _cacheTtl))
            .Use(c => new ResilientChatClient(c, info.Name, resilience, _time, _loggers.CreateLogger<ResilientChatClient>()))
            .Build();
    }

    private static IChatClient OpenAi(AiProviderOptions options, string model, HttpClient http, TimeSpan timeout)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = timeout,
        };
        if (!string.IsNullOrWhiteSpace(options.BaseUrl)) clientOptions.Endpoint = new Uri(options.BaseUrl);
        // Local servers (Ollama, LM Studio) need no key, but the SDK refuses an empty credential.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "unused" : options.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetChatClient(model).AsIChatClient();
    }

    private static IChatClient Anthropic(AiProviderOptions options, string model, HttpClient http, TimeSpan timeout)
    {
        var clientOptions = new ClientOptions { HttpClient = http, MaxRetries = 0, Timeout = timeout };
        if (!string.IsNullOrWhiteSpace(options.BaseUrl)) clientOptions = clientOptions with { BaseUrl = options.BaseUrl.TrimEnd('/') };
        // The Messages API documents the key in x-api-key; this SDK version sends ApiKey as "Authorization: Bearer"
        // instead, so the key goes in the documented header and the SDK's credential stays cleared (null also keeps
        // it from reading ANTHROPIC_API_KEY behind the operator's back).
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY") : options.ApiKey;
        clientOptions = clientOptions with
        {
            ApiKey = null,
            ExtraHeaders = string.IsNullOrWhiteSpace(key) ? null : new Dictionary<string, string> { ["x-api-key"] = key },
        };
        return new AnthropicClient(clientOptions).AsIChatClient(model, options.MaxOutputTokens);
    }

    /// <summary>Named providers plus the legacy flat keys (a provider named after its kind) plus the offline engine.</summary>
    private static Dictionary<string, AiProviderOptions> Normalize(AiOptions options)
    {
        var result = new Dictionary<string, AiProviderOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, provider) in options.Providers)
        {
            if (string.IsNullOrWhiteSpace(provider.Kind))
            {
                if (!IsKind(name))
                    throw new UnknownAiProviderException($"Kiln:Ai:Providers:{name}:Kind is missing: use {AiProviderKinds.OpenAi}, {AiProviderKinds.Anthropic} or {AiProviderKinds.Extractive}.");
                provider.Kind = name;
            }
            provider.Kind = provider.Kind.Trim().ToLowerInvariant();
            if (!IsKind(provider.Kind))
                throw new UnknownAiProviderException($"Kiln:Ai:Providers:{name}:Kind is '{provider.Kind}': use {AiProviderKinds.OpenAi}, {AiProviderKinds.Anthropic} or {AiProviderKinds.Extractive}.");
            result[name] = provider;
        }
        if (!string.IsNullOrWhiteSpace(options.Provider) && !result.ContainsKey(options.Provider))
        {
            var kind = options.Provider.Trim().ToLowerInvariant();
            if (!IsKind(kind))
                throw new UnknownAiProviderException($"Kiln:Ai:Provider is '{options.Provider}': use {AiProviderKinds.OpenAi}, {AiProviderKinds.Anthropic} or {AiProviderKinds.Extractive}, or name a provider configured under Kiln:Ai:Providers.");
            var model = options.Model ?? (kind == AiProviderKinds.OpenAi ? "gpt-4o-mini" : null);
            result[options.Provider] = new AiProviderOptions
            {
                Kind = kind, BaseUrl = options.BaseUrl, ApiKey = options.ApiKey, DefaultModel = model, Models = model is null ? [] : [model],
            };
        }
        result.TryAdd(AiProviderKinds.Extractive, new AiProviderOptions { Kind = AiProviderKinds.Extractive });
        return result;
    }

    private static AiProviderInfo Describe(string name, AiProviderOptions o)
    {
        if (o.Kind == AiProviderKinds.Extractive)
            return new(name, o.Kind, [ExtractiveChatClient.ProviderName], ExtractiveChatClient.ProviderName);
        var models = o.Models.Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim()).ToList();
        var defaultModel = string.IsNullOrWhiteSpace(o.DefaultModel) ? models.FirstOrDefault() : o.DefaultModel.Trim();
        if (defaultModel is null)
            throw new UnknownAiProviderException($"Kiln:Ai:Providers:{name} names no model: set DefaultModel or Models.");
        if (!models.Contains(defaultModel, StringComparer.OrdinalIgnoreCase)) models.Insert(0, defaultModel);
        return new(name, o.Kind, models, defaultModel);
    }

    private static bool IsKind(string kind) =>
        kind.Equals(AiProviderKinds.OpenAi, StringComparison.OrdinalIgnoreCase)
        || kind.Equals(AiProviderKinds.Anthropic, StringComparison.OrdinalIgnoreCase)
        || kind.Equals(AiProviderKinds.Extractive, StringComparison.OrdinalIgnoreCase);

    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(l => l.IsValueCreated)) client.Value.Dispose();
        foreach (var http in _http.Values) http.Dispose();
    }
}

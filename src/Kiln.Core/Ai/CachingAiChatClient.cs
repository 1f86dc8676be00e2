using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace Kiln.Core.Ai;

/// <summary>
/// Answers an identical call (same provider, model, options and messages — hashed into the key by
/// <see cref="DistributedCachingChatClient"/>) from an <see cref="IDistributedCache"/>, so a retried or repeated job
/// does not pay twice. Only successful answers with text are stored (a failure throws before anything is written), each for
/// <c>Kiln:Ai:CacheHours</c>. Answers read back carry <see cref="CachedProperty"/> so the usage recorder bills them at zero.
/// </summary>
public sealed class CachingAiChatClient : DistributedCachingChatClient
{
    /// <summary>Set (true) in <see cref="ChatResponse.AdditionalProperties"/> of an answer served from the cache.</summary>
    public const string CachedProperty = "kiln.cached";

    private readonly IDistributedCache _storage;
    private readonly TimeSpan _ttl;

    public CachingAiChatClient(IChatClient inner, IDistributedCache storage, string provider, string model, TimeSpan ttl) : base(inner, storage)
    {
        _storage = storage;
        _ttl = ttl;
        CacheKeyAdditionalValues = ["kiln-ai-v1", provider, model];
    }

    protected override bool EnableCaching(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        _ttl > TimeSpan.Zero && base.EnableCaching(messages, options);

    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        var response = await base.ReadCacheAsync(key, cancellationToken);
        if (response is not null) (response.AdditionalProperties ??= [])[CachedProperty] = true;
        return response;
    }

    protected override async Task WriteCacheAsync(string key, ChatResponse value, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(value.Text) || value.FinishReason == ChatFinishReason.ContentFilter) return;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, JsonSerializerOptions.GetTypeInfo(typeof(ChatResponse)));
        await _storage.SetAsync(key, bytes, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = _ttl }, cancellationToken);
    }

    protected override async Task WriteCacheStreamingAsync(string key, IReadOnlyList<ChatResponseUpdate> value, CancellationToken cancellationToken)
    {
        if (value.Count == 0) return;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, JsonSerializerOptions.GetTypeInfo(typeof(IReadOnlyList<ChatResponseUpdate>)));
        await _storage.SetAsync(key, bytes, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = _ttl }, cancellationToken);
    }
}

using System.ClientModel;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Kiln.Core.Ai;

/// <summary>
/// <see cref="IChatClient"/> over the OpenAI SDK's <see cref="ChatClient"/>, for any OpenAI-compatible endpoint
/// (OpenAI, Ollama, vLLM, LM Studio). Written here because the adapter package is not in the allowed set.
/// Text only: tools and images are not needed by any pipeline yet.
/// </summary>
public sealed class OpenAiChatClient : IChatClient
{
    private readonly ChatClient _client;
    private readonly ChatClientMetadata _metadata;

    public OpenAiChatClient(AiOptions options)
    {
        var clientOptions = new OpenAIClientOptions();
        if (!string.IsNullOrWhiteSpace(options.BaseUrl)) clientOptions.Endpoint = new Uri(options.BaseUrl);
        // Local servers often need no key, but the SDK refuses an empty credential.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "unused" : options.ApiKey;
        _client = new ChatClient(options.Model, new ApiKeyCredential(key), clientOptions);
        _metadata = new ChatClientMetadata("openai", clientOptions.Endpoint, options.Model);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatCompletion completion = await _client.CompleteChatAsync(Map(messages), MapOptions(options), cancellationToken);
        var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
        return new ChatResponse(new AiChatMessage(AiChatRole.Assistant, text))
        {
            ModelId = completion.Model,
            ResponseId = completion.Id,
            FinishReason = completion.FinishReason == OpenAI.Chat.ChatFinishReason.Length ? Microsoft.Extensions.AI.ChatFinishReason.Length : Microsoft.Extensions.AI.ChatFinishReason.Stop,
            Usage = completion.Usage is { } u ? new UsageDetails { InputTokenCount = u.InputTokenCount, OutputTokenCount = u.OutputTokenCount, TotalTokenCount = u.TotalTokenCount } : null,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in _client.CompleteChatStreamingAsync(Map(messages), MapOptions(options), cancellationToken))
        {
            var text = string.Concat(update.ContentUpdate.Select(p => p.Text));
            if (text.Length > 0) yield return new ChatResponseUpdate(AiChatRole.Assistant, text) { ModelId = update.Model };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType == typeof(ChatClient) ? _client
        : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() { }

    private static List<OpenAI.Chat.ChatMessage> Map(IEnumerable<AiChatMessage> messages) =>
        messages.Select(m =>
            m.Role == AiChatRole.System ? new SystemChatMessage(m.Text)
            : m.Role == AiChatRole.Assistant ? new AssistantChatMessage(m.Text)
            : (OpenAI.Chat.ChatMessage)new UserChatMessage(m.Text)).ToList();

    private static ChatCompletionOptions MapOptions(ChatOptions? options)
    {
        var result = new ChatCompletionOptions();
        if (options is null) return result;
        if (options.Temperature is { } t) result.Temperature = t;
        if (options.TopP is { } p) result.TopP = p;
        if (options.MaxOutputTokens is { } max) result.MaxOutputTokenCount = max;
        return result;
    }
}

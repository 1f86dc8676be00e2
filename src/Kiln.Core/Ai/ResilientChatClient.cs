using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Anthropic.Exceptions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kiln.Core.Ai;

/// <summary>Timeouts and retries of one provider.</summary>
public sealed record AiResilienceOptions
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
    public int MaxRetries { get; init; } = 3;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    public static AiResilienceOptions From(AiProviderOptions o) => new()
    {
        Timeout = o.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(o.TimeoutSeconds) : System.Threading.Timeout.InfiniteTimeSpan,
        MaxRetries = Math.Max(0, o.MaxRetries),
        RetryDelay = TimeSpan.FromSeconds(Math.Max(0, o.RetryDelaySeconds)),
        MaxRetryAfter = TimeSpan.FromSeconds(Math.Max(0, o.MaxRetryAfterSeconds)),
    };
}

/// <summary>
/// Per-attempt timeout and retries with exponential backoff (and jitter) for one provider. A 429 or 503 with
/// <c>Retry-After</c> (seconds or an HTTP date; OpenAI's <c>retry-after-ms</c> too) waits as long as asked; 5xx, 429,
/// timeouts and connection failures are retried; other 4xx are not. What finally fails surfaces as an
/// <see cref="HttpRequestException"/> whose <see cref="HttpRequestException.StatusCode"/> is the provider's status
/// (null when it could not be reached), or a <see cref="TimeoutException"/> — so the pipeline host classifies it by
/// status (429/5xx/none transient, other 4xx permanent), never by message text.
/// Streaming calls get the timeout on the first update and the same failure mapping, but no retries.
/// </summary>
public sealed class ResilientChatClient(IChatClient inner, string provider, AiResilienceOptions resilience,
    TimeProvider? time = null, ILogger? logger = null) : DelegatingChatClient(inner)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Each wait before a retry, for tests and logs.</summary>
    public event Action<TimeSpan>? Waiting;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        for (var attempt = 0; ; attempt++)
        {
            var observation = new AttemptObservation();
            AttemptObservation.Current = observation;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(resilience.Timeout);
            Exception failure;
            try
            {
                return await base.GetResponseAsync(list, options, timeout.Token);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure = Normalize(ex, observation, timeout.IsCancellationRequested);
            }
            finally
            {
                AttemptObservation.Current = null;
            }

            var wait = RetryWait(failure, observation, attempt);
            if (wait is null) throw failure;
            _logger.LogWarning("AI provider {Provider} failed ({Failure}); retry {Attempt} of {Max} in {Wait}",
                provider, Describe(failure), attempt + 1, resilience.MaxRetries, wait.Value);
            Waiting?.Invoke(wait.Value);
            if (wait.Value > TimeSpan.Zero) await Task.Delay(wait.Value, _time, cancellationToken);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var observation = new AttemptObservation();
        AttemptObservation.Current = observation;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(resilience.Timeout);
        await using var e = base.GetStreamingResponseAsync(messages, options, timeout.Token).GetAsyncEnumerator(timeout.Token);
        var first = true;
        while (true)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await e.MoveNextAsync()) yield break;
                update = e.Current;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw Normalize(ex, observation, timeout.IsCancellationRequested);
            }
            if (first) { timeout.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan); first = false; }
            yield return update;
        }
    }

    private Exception Normalize(Exception ex, AttemptObservation observation, bool timedOut)
    {
        if (timedOut && ex is OperationCanceledException or TimeoutException)
            return new TimeoutException($"The AI provider '{provider}' did not answer within {resilience.Timeout.TotalSeconds:0.#} s.", ex);
        if (ex is OperationCanceledException or TimeoutException)
            return new TimeoutException($"The AI provider '{provider}' did not answer in time.", ex);
        var status = observation.StatusCode ?? StatusOf(ex);
        if (status is { } code)
            return new HttpRequestException($"The AI provider '{provider}' answered {(int)code} ({code}): {ex.Message}", ex, code);
        if (ex is HttpRequestException or ClientResultException or AnthropicIOException or IOException)
            return new HttpRequestException($"The AI provider '{provider}' could not be reached: {ex.Message}", ex);
        return ex; // a bug or a malformed answer: not retried, left as it is
    }

    private static HttpStatusCode? StatusOf(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: { } s } => s,
        ClientResultException { Status: > 0 } c => (HttpStatusCode)c.Status,
        AnthropicApiException a => a.StatusCode,
        _ => ex.InnerException is { } inner ? StatusOf(inner) : null,
    };

    /// <summary>The wait before the next attempt, or null when the failure is not retried.</summary>
    private TimeSpan? RetryWait(Exception failure, AttemptObservation observation, int attempt)
    {
        if (attempt >= resilience.MaxRetries) return null;
        var retryable = failure switch
        {
            TimeoutException => true,
            HttpRequestException { StatusCode: null } => true,
            HttpRequestException { StatusCode: HttpStatusCode.TooManyRequests } => true,
            HttpRequestException { StatusCode: { } s } => (int)s >= 500,
            _ => false,
        };
        if (!retryable) return null;
        var asked = observation.RetryAfterMs ?? RetryAfter(observation.RetryAfter) ?? RetryAfter(failure);
        if (asked is { } wait)
            return wait <= resilience.MaxRetryAfter ? wait : null; // a long pause: let the job be retried later instead
        var backoff = resilience.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt);
        backoff = Math.Min(backoff, resilience.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(backoff * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        if (header is null) return null;
        if (header.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is { } date) { var d = date - _time.GetUtcNow(); return d < TimeSpan.Zero ? TimeSpan.Zero : d; }
        return null;
    }

    /// <summary>Retry-After from an SDK exception that keeps the raw response (OpenAI's), when the observer saw none.</summary>
    private TimeSpan? RetryAfter(Exception failure)
    {
        if (failure.InnerException is not ClientResultException c || c.GetRawResponse() is not { } raw) return null;
        if (raw.Headers.TryGetValue("retry-after-ms", out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) && m >= 0)
            return TimeSpan.FromMilliseconds(m);
        if (!raw.Headers.TryGetValue("Retry-After", out var value) || value is null) return null;
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)) return TimeSpan.FromSeconds(Math.Max(0, seconds));
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? (date - _time.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero) : null;
    }

    private static string Describe(Exception failure) => failure switch
    {
        HttpRequestException { StatusCode: { } s } => ((int)s).ToString(CultureInfo.InvariantCulture),
        HttpRequestException => "unreachable",
        TimeoutException => "timeout",
        _ => failure.GetType().Name,
    };
}

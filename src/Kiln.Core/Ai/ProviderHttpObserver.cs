using System.Net;
using System.Net.Http.Headers;

namespace Kiln.Core.Ai;

/// <summary>
/// What the provider's HTTP endpoint answered during one attempt: the status and the wait it asked for. Filled by
/// <see cref="ProviderHttpObserver"/> inside the provider SDK's HTTP client, read by <see cref="ResilientChatClient"/>,
/// so retries and classification use the real status and <c>Retry-After</c> whatever exception type the SDK throws.
/// </summary>
internal sealed class AttemptObservation
{
    private static readonly AsyncLocal<AttemptObservation?> CurrentSlot = new();

    public static AttemptObservation? Current
    {
        get => CurrentSlot.Value;
        set => CurrentSlot.Value = value;
    }

    public HttpStatusCode? StatusCode { get; private set; }
    public RetryConditionHeaderValue? RetryAfter { get; private set; }
    /// <summary>OpenAI's <c>retry-after-ms</c>, more precise than Retry-After when present.</summary>
    public TimeSpan? RetryAfterMs { get; private set; }

    public void Record(HttpResponseMessage response)
    {
        StatusCode = response.StatusCode;
        RetryAfter = response.Headers.RetryAfter;
        RetryAfterMs = response.Headers.TryGetValues("retry-after-ms", out var values)
            && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms) && ms >= 0
            ? TimeSpan.FromMilliseconds(ms) : null;
    }
}

/// <summary>The innermost handler of every provider's HTTP client: notes each failed response for the current attempt.</summary>
internal sealed class ProviderHttpObserver : DelegatingHandler
{
    public ProviderHttpObserver(HttpMessageHandler inner) : base(inner) { }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode) AttemptObservation.Current?.Record(response);
        return response;
    }
}

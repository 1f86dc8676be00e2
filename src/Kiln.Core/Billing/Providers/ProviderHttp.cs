using System.Net;
using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Billing.Providers;

/// <summary>
/// Sends one logical provider request, retrying transport failures, 429 and 5xx a couple of times with the SAME
/// request (and so the same Idempotency-Key), which is what makes a retried POST safe.
/// </summary>
internal static class ProviderHttp
{
    public static async Task<Result<JsonElement>> SendAsync(HttpClient http, string provider, Func<HttpRequestMessage> build, CancellationToken ct,
        int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = build();
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (HttpRequestException) when (attempt < attempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
                continue;
            }
            catch (HttpRequestException ex)
            {
                return BillingErrors.Provider(provider, ex.Message);
            }
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                if ((response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500) && attempt < attempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
                    continue;
                }
                JsonElement body;
                try { body = string.IsNullOrWhiteSpace(text) ? default : JsonDocument.Parse(text).RootElement.Clone(); }
                catch (JsonException) { return BillingErrors.Provider(provider, $"HTTP {(int)response.StatusCode} with a non-JSON body."); }
                if (!response.IsSuccessStatusCode)
                    return BillingErrors.Provider(provider, $"HTTP {(int)response.StatusCode}: {ErrorMessage(body) ?? response.ReasonPhrase}");
                return body;
            }
        }
    }

    // Stripe: {error:{message}}; Mollie: {detail}; Paddle: {error:{detail}}.
    private static string? ErrorMessage(JsonElement body) =>
        body.Obj("error").Str("message") ?? body.Obj("error").Str("detail") ?? body.Str("detail") ?? body.Str("title");
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing.Providers;

/// <summary>A thin client for the Mollie v2 API: JSON bodies, Bearer API key, Idempotency-Key on POSTs.</summary>
public sealed class MollieClient(HttpClient http, IOptions<BillingOptions> options)
{
    private string Key => options.Value.Mollie.ApiKey ?? throw new InvalidOperationException("Kiln:Billing:Mollie:ApiKey is not set.");

    public Task<Result<JsonElement>> CreatePaymentAsync(object body, string idempotencyKey, CancellationToken ct) =>
        PostAsync("v2/payments", body, idempotencyKey, ct);

    /// <summary>With refunds embedded, so one call tells both the status and what was refunded.</summary>
    public Task<Result<JsonElement>> GetPaymentAsync(string id, CancellationToken ct) =>
        GetAsync($"v2/payments/{Uri.EscapeDataString(id)}?embed=refunds", ct);

    public Task<Result<JsonElement>> CreateCustomerAsync(object body, string idempotencyKey, CancellationToken ct) =>
        PostAsync("v2/customers", body, idempotencyKey, ct);

    public Task<Result<JsonElement>> CreateSubscriptionAsync(string customerId, object body, string idempotencyKey, CancellationToken ct) =>
        PostAsync($"v2/customers/{Uri.EscapeDataString(customerId)}/subscriptions", body, idempotencyKey, ct);

    public Task<Result<JsonElement>> GetSubscriptionAsync(string customerId, string subscriptionId, CancellationToken ct) =>
        GetAsync($"v2/customers/{Uri.EscapeDataString(customerId)}/subscriptions/{Uri.EscapeDataString(subscriptionId)}", ct);

    public Task<Result<JsonElement>> ListSubscriptionsAsync(string customerId, CancellationToken ct) =>
        GetAsync($"v2/customers/{Uri.EscapeDataString(customerId)}/subscriptions?limit=250", ct);

    /// <summary>
    /// DELETE: Mollie stops the subscription at once (no further payments) and answers with the canceled subscription.
    /// Canceling an already canceled subscription is an error at Mollie; callers re-read the subscription then.
    /// </summary>
    public Task<Result<JsonElement>> CancelSubscriptionAsync(string customerId, string subscriptionId, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"v2/customers/{Uri.EscapeDataString(customerId)}/subscriptions/{Uri.EscapeDataString(subscriptionId)}", null, null, ct);

    private Task<Result<JsonElement>> PostAsync(string path, object body, string idempotencyKey, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, body, idempotencyKey, ct);

    private Task<Result<JsonElement>> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, null, ct);

    private Task<Result<JsonElement>> SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken ct) =>
        ProviderHttp.SendAsync(http, "Mollie", () =>
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = JsonContent.Create(body);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            return request;
        }, ct);
}

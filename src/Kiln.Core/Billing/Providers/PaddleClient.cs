using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing.Providers;

/// <summary>A thin client for the Paddle Billing API: JSON bodies, Bearer API key, responses wrapped in <c>{ data, meta }</c>.</summary>
public sealed class PaddleClient(HttpClient http, IOptions<BillingOptions> options)
{
    private string Key => options.Value.Paddle.ApiKey ?? throw new InvalidOperationException("Kiln:Billing:Paddle:ApiKey is not set.");

    public Task<Result<JsonElement>> CreateTransactionAsync(object body, CancellationToken ct) => SendAsync(HttpMethod.Post, "transactions", body, ct);

    public Task<Result<JsonElement>> GetTransactionAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"transactions/{Uri.EscapeDataString(id)}", null, ct);

    public Task<Result<JsonElement>> GetSubscriptionAsync(string id, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"subscriptions/{Uri.EscapeDataString(id)}", null, ct);

    public Task<Result<JsonElement>> CreatePortalSessionAsync(string customerId, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"customers/{Uri.EscapeDataString(customerId)}/portal-sessions", new { }, ct);

    private async Task<Result<JsonElement>> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        var result = await ProviderHttp.SendAsync(http, "Paddle", () =>
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = JsonContent.Create(body);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            return request;
        }, ct);
        return result.IsSuccess ? result.Value.Obj("data") : result;
    }
}

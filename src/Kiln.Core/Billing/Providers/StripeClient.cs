using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Core.Common;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing.Providers;

/// <summary>
/// A thin client for the Stripe REST API: form-encoded POSTs with bracketed keys (<c>line_items[0][price_data][currency]</c>),
/// Bearer secret key, and an Idempotency-Key on every POST.
/// </summary>
public sealed class StripeClient(HttpClient http, IOptions<BillingOptions> options)
{
    private string Key => options.Value.Stripe.SecretKey ?? throw new InvalidOperationException("Kiln:Billing:Stripe:SecretKey is not set.");

    public Task<Result<JsonElement>> CreateCustomerAsync(Guid workspaceId, string? email, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>> { new("metadata[workspace_id]", workspaceId.ToString()) };
        if (!string.IsNullOrEmpty(email)) form.Add(new("email", email));
        // Stable key: two racing checkouts create one customer (Stripe keeps keys for 24 hours).
        return PostAsync("v1/customers", form, $"kiln-customer-{workspaceId:N}", ct);
    }

    public Task<Result<JsonElement>> CreateCheckoutSessionAsync(IReadOnlyList<KeyValuePair<string, string>> form, string idempotencyKey, CancellationToken ct) =>
        PostAsync("v1/checkout/sessions", form, idempotencyKey, ct);

    public Task<Result<JsonElement>> CreatePortalSessionAsync(string customerId, Uri returnUrl, string idempotencyKey, CancellationToken ct) =>
        PostAsync("v1/billing_portal/sessions", [new("customer", customerId), new("return_url", returnUrl.ToString())], idempotencyKey, ct);

    public Task<Result<JsonElement>> GetSubscriptionAsync(string id, CancellationToken ct) => GetAsync($"v1/subscriptions/{Uri.EscapeDataString(id)}", ct);

    public Task<Result<JsonElement>> GetInvoiceAsync(string id, CancellationToken ct) => GetAsync($"v1/invoices/{Uri.EscapeDataString(id)}", ct);

    public Task<Result<JsonElement>> GetChargeAsync(string id, CancellationToken ct) =>
        GetAsync($"v1/charges/{Uri.EscapeDataString(id)}?expand[]=refunds", ct);

    public Task<Result<JsonElement>> PostAsync(string path, IReadOnlyList<KeyValuePair<string, string>> form, string idempotencyKey, CancellationToken ct) =>
        ProviderHttp.SendAsync(http, "Stripe", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            return request;
        }, ct);

    private Task<Result<JsonElement>> GetAsync(string path, CancellationToken ct) =>
        ProviderHttp.SendAsync(http, "Stripe", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            return request;
        }, ct);
}

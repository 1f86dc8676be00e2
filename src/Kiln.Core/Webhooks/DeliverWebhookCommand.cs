using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Webhooks;

/// <summary>
/// Sends one delivery. It is claimed with a conditional UPDATE (so two dispatchers never send the same attempt), POSTed
/// with Standard Webhooks headers through the <see cref="Registrations.HttpClientName"/> client, then marked delivered
/// (2xx) or rescheduled on <see cref="WebhookOptions.RetrySchedule"/> until <see cref="WebhookOptions.MaxAttempts"/>.
/// An endpoint that has failed without a success for <see cref="WebhookOptions.DisableAfter"/> (or answers 410 Gone) is disabled.
/// </summary>
public sealed class DeliverWebhookCommand(KilnDbContext db, IHttpClientFactory http, TimeProvider clock, IOptions<WebhookOptions> options,
    ILogger<DeliverWebhookCommand> log, WebhookSecrets secrets)
{
    /// <summary>Longer than the client's timeout: a claim only lapses when its sender died.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    /// <summary>Ids of deliveries that are due now (or whose sender died), oldest first.</summary>
    public Task<List<Guid>> DueAsync(int batch, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return db.Set<WebhookDelivery>().IgnoreQueryFilters().AsNoTracking()
            .Where(d => (d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now) || (d.Status == WebhookDeliveryStatus.Sending && d.LockedUntil < now))
            .OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(batch).ToListAsync(ct);
    }

    /// <summary>Claims and sends one delivery; null when another dispatcher has it or it is not due.</summary>
    public async Task<WebhookDeliveryStatus?> RunAsync(Guid deliveryId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var lease = now + Lease;
        var claimed = await db.Set<WebhookDelivery>().IgnoreQueryFilters()
            .Where(d => d.Id == deliveryId && ((d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now)
                                               || (d.Status == WebhookDeliveryStatus.Sending && d.LockedUntil < now)))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, WebhookDeliveryStatus.Sending).SetProperty(d => d.LockedUntil, lease)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1).SetProperty(d => d.LastAttemptAt, now), ct);
        if (claimed == 0) return null;
        var delivery = await db.Set<WebhookDelivery>().IgnoreQueryFilters().AsNoTracking().FirstAsync(d => d.Id == deliveryId, ct);
        var endpoint = await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(e => e.Id == delivery.EndpointId, ct);
        if (endpoint is null || !endpoint.Enabled)
            return await FinishAsync(delivery, WebhookDeliveryStatus.Failed, null, "The endpoint is disabled or was deleted.");

        int? statusCode = null;
        string? error;
        try
        {
            using var response = await SendAsync(endpoint, delivery, ct);
            statusCode = (int)response.StatusCode;
            error = response.IsSuccessStatusCode ? null : $"HTTP {statusCode} {response.ReasonPhrase}".TrimEnd();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or TimeoutException or InvalidOperationException)
        {
            error = ex is TaskCanceledException ? "The endpoint did not answer within the timeout." : $"{ex.GetType().Name}: {ex.Message}";
        }

        if (error is null)
        {
            await db.Set<WebhookEndpoint>().IgnoreQueryFilters().Where(e => e.Id == endpoint.Id && e.FailingSince != null)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.FailingSince, (DateTime?)null), CancellationToken.None);
            return await FinishAsync(delivery, WebhookDeliveryStatus.Succeeded, statusCode, null);
        }

        log.LogInformation("Webhook delivery {DeliveryId} to endpoint {EndpointId} failed (attempt {Attempt}): {Error}", delivery.Id, endpoint.Id, delivery.Attempts, error);
        await RecordEndpointFailureAsync(endpoint, statusCode, now);
        var final = delivery.Attempts >= options.Value.MaxAttempts || statusCode == (int)HttpStatusCode.Gone;
        return await FinishAsync(delivery, final ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending, statusCode, error);
    }

    /// <summary>POST with <c>webhook-id</c>, <c>webhook-timestamp</c> (now) and <c>webhook-signature</c> over the stored body.</summary>
    private async Task<HttpResponseMessage> SendAsync(WebhookEndpoint endpoint, WebhookDelivery delivery, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.MessageId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", StandardWebhookVerifier.Sign(secrets.Reveal(endpoint.Secret), delivery.MessageId, timestamp, body));
        var client = http.CreateClient(Registrations.HttpClientName);
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    private async Task RecordEndpointFailureAsync(WebhookEndpoint endpoint, int? statusCode, DateTime now)
    {
        var endpoints = db.Set<WebhookEndpoint>().IgnoreQueryFilters();
        await endpoints.Where(e => e.Id == endpoint.Id && e.FailingSince == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.FailingSince, now), CancellationToken.None);
        if (statusCode == (int)HttpStatusCode.Gone)
        {
            await endpoints.Where(e => e.Id == endpoint.Id && e.Enabled).ExecuteUpdateAsync(s => s.SetProperty(e => e.Enabled, false)
                .SetProperty(e => e.DisabledReason, "The endpoint answered 410 Gone."), CancellationToken.None);
            return;
        }
        var cutoff = now - options.Value.DisableAfter;
        var disabled = await endpoints.Where(e => e.Id == endpoint.Id && e.Enabled && e.FailingSince != null && e.FailingSince <= cutoff)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Enabled, false)
                .SetProperty(e => e.DisabledReason, $"Every delivery failed for {options.Value.DisableAfter.TotalDays:0.#} days."), CancellationToken.None);
        if (disabled > 0) log.LogWarning("Webhook endpoint {EndpointId} disabled after failing since {Since}", endpoint.Id, endpoint.FailingSince);
    }

    /// <summary>Only the claim holder (same attempt count, still sending) may record the outcome.</summary>
    private async Task<WebhookDeliveryStatus> FinishAsync(WebhookDelivery d, WebhookDeliveryStatus status, int? statusCode, string? error)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var next = status == WebhookDeliveryStatus.Pending ? now + options.Value.DelayAfter(d.Attempts) : d.NextAttemptAt;
        DateTime? delivered = status == WebhookDeliveryStatus.Succeeded ? now : null;
        var message = error is null ? null : error.Length <= 1000 ? error : error[..1000];
        await db.Set<WebhookDelivery>().IgnoreQueryFilters()
            .Where(x => x.Id == d.Id && x.Status == WebhookDeliveryStatus.Sending && x.Attempts == d.Attempts)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, status).SetProperty(x => x.NextAttemptAt, next)
                .SetProperty(x => x.LockedUntil, (DateTime?)null).SetProperty(x => x.LastStatusCode, statusCode)
                .SetProperty(x => x.LastError, message).SetProperty(x => x.DeliveredAt, delivered), CancellationToken.None);
        KilnMetrics.WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", status switch
        {
            WebhookDeliveryStatus.Succeeded => "succeeded",
            WebhookDeliveryStatus.Pending => "retrying",
            _ => "failed",
        }));
        return status;
    }
}

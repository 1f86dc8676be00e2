using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

/// <summary>
/// Inbound payment webhooks: the providers' callbacks at <c>/webhooks/{provider}</c>. Not to be confused with the
/// outbound job webhooks a workspace registers (<see cref="WebhooksApi"/>).
/// </summary>
public static class PaymentWebhooksApi
{
    /// <summary>Webhook bodies are small; anything bigger is not a provider talking to us.</summary>
    public const int MaxWebhookBytes = 1024 * 1024;

    /// <summary>Anonymous provider callbacks. The signature (or, for Mollie, the re-fetch) is the authentication.</summary>
    public static IEndpointRouteBuilder MapPaymentWebhooks(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/webhooks").WithTags("Payment webhooks").AllowAnonymous();
        foreach (var provider in new[] { "stripe", "mollie", "paddle", "sandbox" })
        {
            hooks.MapPost($"/{provider}", (HttpRequest request, ReceiveWebhookCommand intake, CancellationToken ct) => Receive(provider, request, intake, ct))
                .WithSummary($"{char.ToUpperInvariant(provider[0])}{provider[1..]} webhook: verified on the raw body, stored once, processed by the worker.")
                .DisableAntiforgery()
                .LimitPerIp("webhooks", o => o.WebhooksPerMinute)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
                .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        }
        return app;
    }

    private static async Task<Results<Ok<PaymentWebhookReceiptDto>, ProblemHttpResult>> Receive(string provider, HttpRequest request, ReceiveWebhookCommand intake, CancellationToken ct)
    {
        if (request.ContentLength > MaxWebhookBytes) return Problems.From(TooLarge);
        var body = await ReadCapped(request.Body, ct);
        if (body is null) return Problems.From(TooLarge);
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var result = await intake.Run(provider, body, headers, ct);
        return Problems.Map(result, r => TypedResults.Ok(new PaymentWebhookReceiptDto(true, r.Duplicate)));
    }

    // Reads the exact bytes that were signed; re-serialized JSON would not verify.
    private static async Task<byte[]?> ReadCapped(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxWebhookBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static readonly Error TooLarge = new("payload_too_large", "The webhook body is larger than 1 MiB.", ErrorKind.TooLarge);
}

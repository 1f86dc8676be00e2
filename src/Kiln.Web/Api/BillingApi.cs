using System.Security.Claims;
using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record CheckoutRequestDto(string Kind, string ItemId);
public sealed record CheckoutDto(Uri Url, string Provider);
public sealed record PortalDto(Uri Url);
public sealed record PaymentWebhookReceiptDto(bool Received, bool Duplicate);
public sealed record PaymentEventDto(Guid Id, string Provider, string EventId, string Type, string Status, int Attempts, DateTime ReceivedAt,
    DateTime NextAttemptAt, DateTime? ProcessedAt, string? LastError, string? Payload)
{
    public static PaymentEventDto From(PaymentEvent e, bool withPayload) => new(e.Id, e.Provider, e.EventId, e.Type, e.Status.ToString().ToLowerInvariant(),
        e.Attempts, e.ReceivedAt, e.NextAttemptAt, e.ProcessedAt, e.LastError, withPayload ? e.Payload : null);
}

/// <summary>Catalog, checkout, portal, subscription (and canceling it) and payment history; provider webhooks; admin views of the inbox.</summary>
public static class BillingApi
{
    /// <summary>Webhook bodies are small; anything bigger is not a provider talking to us.</summary>
    public const int MaxWebhookBytes = 1024 * 1024;

    /// <summary>The public price list; map on an anonymous group.</summary>
    public static RouteGroupBuilder MapBillingCatalogApi(this RouteGroupBuilder anonymous)
    {
        anonymous.MapGet("/billing/catalog", (BillingCatalog catalog) => TypedResults.Ok(catalog.View())).WithTags("Billing")
            .WithSummary("Credit packs and plans with prices (minor units), allowances and limits, and the active payment provider.");
        return anonymous;
    }

    public static RouteGroupBuilder MapBillingApi(this RouteGroupBuilder api)
    {
        var billing = api.MapGroup("/billing").WithTags("Billing");

        billing.MapPost("/checkout", async (CheckoutRequestDto r, CurrentUser me, ClaimsPrincipal user, CreateCheckoutCommand checkout, CancellationToken ct) =>
        {
            var result = await checkout.Run(me.Workspace, r.Kind ?? "", r.ItemId ?? "", user.FindFirstValue(ClaimTypes.Email), ct);
            return Problems.Map(result, c => TypedResults.Ok(new CheckoutDto(c.RedirectUrl, c.Provider)));
        }).WithSummary("Start a checkout for a pack or plan; redirect the payer to the returned url.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status502BadGateway);

        billing.MapPost("/portal", async (CurrentUser me, CreatePortalCommand portal, CancellationToken ct) =>
            Problems.Map(await portal.Run(me.Workspace, ct), url => TypedResults.Ok(new PortalDto(url))))
            .WithSummary("A provider-hosted page to manage the subscription and payment method.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status502BadGateway);

        billing.MapGet("/subscription", async (CurrentUser me, GetSubscriptionQuery q, CancellationToken ct) => TypedResults.Ok(await q.Run(me.Workspace, ct)))
            .WithSummary("The workspace's plan, subscription status, renewal date, allowance left and plan limits.");

        billing.MapPost("/subscription/cancel", async (CurrentUser user, CancelSubscriptionCommand cancel, CancellationToken ct) =>
            Problems.Map(await cancel.Run(user.Caller, ct), o => TypedResults.Ok(o.Subscription)))
            .WithSummary("Cancel the subscription where the provider has no portal (subscription cancelVia = kiln: Mollie, sandbox). "
            + "Owners and admins. Renewals stop; the plan and its allowance run to the current period end. Canceling again answers the same.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status502BadGateway);

        billing.MapGet("/payments", async (CurrentUser me, ListPaymentsQuery q, int? take, CancellationToken ct) => TypedResults.Ok(await q.Run(me.Workspace, take ?? 50, ct)))
            .WithSummary("Payment history, newest first, with receipt or invoice links.");
        return api;
    }

    /// <summary>Map on a group that already requires the admin policy.</summary>
    public static RouteGroupBuilder MapBillingAdminApi(this RouteGroupBuilder admin)
    {
        var billing = admin.MapGroup("/billing").WithTags("Admin");
        billing.MapGet("/events", async Task<Results<Ok<IEnumerable<PaymentEventDto>>, ProblemHttpResult>> (ListPaymentEventsQuery q, string? status, int? take, bool? payload, CancellationToken ct) =>
        {
            PaymentEventStatus? s = null;
            if (!string.IsNullOrEmpty(status))
            {
                if (!Enum.TryParse<PaymentEventStatus>(status, true, out var parsed) || int.TryParse(status, out _))
                    return Problems.From(Error.Invalid("invalid_status", "status is one of pending, processing, processed, failed."));
                s = parsed;
            }
            var events = await q.Run(s, take ?? 100, ct);
            return TypedResults.Ok(events.Select(e => PaymentEventDto.From(e, payload ?? false)));
        }).WithSummary("Webhook inbox: status, attempts, next attempt and last error (payload on request).")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        billing.MapPost("/events/{id:guid}/retry", async (Guid id, RetryPaymentEventCommand retry, CancellationToken ct) =>
            Problems.Map(await retry.Run(id, ct), e => TypedResults.Ok(PaymentEventDto.From(e, false))))
            .WithSummary("Queue a failed or waiting payment event for processing now.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        billing.MapGet("/shortfalls", async (ListCreditShortfallsQuery q, bool? unresolved, CancellationToken ct) =>
            TypedResults.Ok(await q.Run(unresolved ?? true, ct)))
            .WithSummary("Refunds that could not claw back all their credits because they were already spent.");

        billing.MapPost("/shortfalls/{id:guid}/resolve", async (Guid id, ResolveCreditShortfallCommand resolve, CancellationToken ct) =>
            Problems.Map(await resolve.Run(id, ct), TypedResults.Ok))
            .WithSummary("Mark a refund shortfall as settled or written off.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    /// <summary>Anonymous provider callbacks. The signature (or, for Mollie, the re-fetch) is the authentication.</summary>
    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/webhooks").WithTags("Webhooks").AllowAnonymous();
        foreach (var provider in new[] { "stripe", "mollie", "paddle", "sandbox" })
        {
            hooks.MapPost($"/{provider}", (HttpRequest request, ReceiveWebhookCommand intake, CancellationToken ct) => Receive(provider, request, intake, ct))
                .WithSummary($"{char.ToUpperInvariant(provider[0])}{provider[1..]} webhook: verified on the raw body, stored once, processed by the worker.")
                .DisableAntiforgery()
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

    private static readonly Error TooLarge = new("payload_too_large", "The webhook body is larger than 1 MiB.", 413);
}

using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Webhooks;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record CreateWebhookRequest(string Url, string? Description, IReadOnlyList<string>? Events);
public sealed record WebhookDeliverySummaryDto(Guid Id, string EventType, string Status, int? LastStatusCode, DateTime? LastAttemptAt);
public sealed record WebhookEndpointDto(Guid Id, string Url, string? Description, IReadOnlyList<string> Events, bool Enabled, string? DisabledReason,
    DateTime? FailingSince, DateTime CreatedAt, WebhookDeliverySummaryDto? LastDelivery, string? Secret = null)
{
    public static WebhookEndpointDto From(WebhookEndpoint e, WebhookDelivery? last = null, string? secret = null) => new(
        e.Id, e.Url, e.Description, e.EventTypeList, e.Enabled, e.DisabledReason, e.FailingSince, e.CreatedAt,
        last is null ? null : new WebhookDeliverySummaryDto(last.Id, last.EventType, last.Status.WireName(), last.LastStatusCode, last.LastAttemptAt),
        secret);
}
public sealed record WebhookDeliveryDto(Guid Id, Guid EndpointId, string EventType, string MessageId, string Status, int Attempts, DateTime NextAttemptAt,
    int? LastStatusCode, string? LastError, Guid? JobId, DateTime CreatedAt, DateTime? LastAttemptAt, DateTime? DeliveredAt, string Payload)
{
    public static WebhookDeliveryDto From(WebhookDelivery d) => new(d.Id, d.EndpointId, d.EventType, d.MessageId, d.Status.WireName(), d.Attempts,
        d.NextAttemptAt, d.LastStatusCode, d.LastError, d.JobId, d.CreatedAt, d.LastAttemptAt, d.DeliveredAt, d.Payload);
}

/// <summary>
/// Outbound webhooks: a workspace's HTTPS endpoints receive job events signed per Standard Webhooks. Owners and admins
/// only (the endpoints and their secrets are the workspace's integration); another workspace's ids answer 404.
/// </summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/webhooks").WithTags("Webhooks");

        hooks.MapGet("/", async (CurrentUser user, ListWebhookEndpointsQuery q, CancellationToken ct) =>
                Problems.Map(await q.Run(user.Caller, ct), list => TypedResults.Ok(list.Select(v => WebhookEndpointDto.From(v.Endpoint, v.LastDelivery)))))
            .WithSummary("List the workspace's webhook endpoints with their last delivery (never the secrets).");
        hooks.MapPost("/", async (CreateWebhookRequest r, CurrentUser user, CreateWebhookEndpointCommand create, CancellationToken ct) =>
                Problems.Map(await create.Run(user.Caller, r.Url ?? "", r.Description, r.Events, ct),
                    c => TypedResults.Created($"/api/webhooks/{c.Endpoint.Id}", WebhookEndpointDto.From(c.Endpoint, secret: c.Secret))))
            .WithSummary($"Register an HTTPS endpoint for job events ({string.Join(", ", WebhookEventTypes.Subscribable)}). The signing secret (whsec_…) is in the response once and never again.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        hooks.MapDelete("/{id:guid}", async (Guid id, CurrentUser user, DeleteWebhookEndpointCommand delete, CancellationToken ct) =>
                Problems.Map(await delete.Run(user.Caller, id, ct), _ => TypedResults.NoContent()))
            .WithSummary("Delete an endpoint and its delivery history; nothing more is sent to it.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        hooks.MapPost("/{id:guid}/enable", async (Guid id, CurrentUser user, EnableWebhookEndpointCommand enable, CancellationToken ct) =>
                Problems.Map(await enable.Run(user.Caller, id, ct), e => TypedResults.Ok(WebhookEndpointDto.From(e))))
            .WithSummary("Turn a disabled endpoint (failing too long, or answered 410 Gone) back on; new events are sent to it again.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        hooks.MapPost("/{id:guid}/test", async (Guid id, CurrentUser user, SendTestWebhookCommand test, CancellationToken ct) =>
                Problems.Map(await test.Run(user.Caller, id, ct), d => TypedResults.Accepted($"/api/webhooks/{id}/deliveries", WebhookDeliveryDto.From(d))))
            .WithSummary("Queue a webhook.test event to the endpoint; it is sent within about a second.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        hooks.MapGet("/{id:guid}/deliveries", async (Guid id, int? page, int? pageSize, CurrentUser user, ListWebhookDeliveriesQuery q, CancellationToken ct) =>
                Problems.Map(await q.Run(user.Caller, id, page ?? 1, pageSize ?? 20, ct),
                    p => TypedResults.Ok(new Paged<WebhookDeliveryDto>(p.Items.Select(WebhookDeliveryDto.From).ToList(), p.Page, p.PageSize, p.Total))))
            .WithSummary("The endpoint's deliveries, newest first, with status, attempts, last HTTP status and error.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        hooks.MapPost("/{id:guid}/deliveries/{deliveryId:guid}/retry", async (Guid id, Guid deliveryId, CurrentUser user, RetryWebhookDeliveryCommand retry, CancellationToken ct) =>
                Problems.Map(await retry.Run(user.Caller, id, deliveryId, ct), d => TypedResults.Accepted($"/api/webhooks/{id}/deliveries", WebhookDeliveryDto.From(d))))
            .WithSummary("Send a failed delivery again now (same webhook-id and body, fresh timestamp and signature).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }
}

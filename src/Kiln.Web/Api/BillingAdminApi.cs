using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

/// <summary>Operators' views of the payment-event inbox and of refund shortfalls.</summary>
public static class BillingAdminApi
{
    /// <summary>Map on a group that already requires the admin policy.</summary>
    public static RouteGroupBuilder MapBillingAdminApi(this RouteGroupBuilder admin)
    {
        var billing = admin.MapGroup("/billing").WithTags("Admin");
        billing.MapGet("/events", async Task<Results<Ok<IEnumerable<PaymentEventDto>>, ProblemHttpResult>> (ListPaymentEventsQuery q, string? status, int? take, bool? payload, CancellationToken ct) =>
        {
            PaymentEventStatus? s = null;
            if (!string.IsNullOrEmpty(status))
            {
                if (!EnumNames.TryParse<PaymentEventStatus>(status, out var parsed))
                    return Problems.From(Error.Invalid("invalid_status", $"status is one of {string.Join(", ", EnumNames.All<PaymentEventStatus>())}."));
                s = parsed;
            }
            var events = await q.Run(s, take ?? 100, ct);
            return TypedResults.Ok(events.Select(e => PaymentEventDto.From(e, payload ?? false)));
        }).WithSummary("Webhook inbox: status, attempts, next attempt and last error (payload on request).")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        billing.MapPost("/events/{id:guid}/retry", async (Guid id, RetryPaymentEventCommand retry, CurrentUser user, CancellationToken ct) =>
            Problems.Map(await retry.Run(id, user.UserId, ct), e => TypedResults.Ok(PaymentEventDto.From(e, false))))
            .WithSummary("Queue a failed or waiting payment event for processing now.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        billing.MapGet("/shortfalls", async (ListCreditShortfallsQuery q, bool? unresolved, CancellationToken ct) =>
            TypedResults.Ok(await q.Run(unresolved ?? true, ct)))
            .WithSummary("Refunds that could not claw back all their credits because they were already spent.");

        billing.MapPost("/shortfalls/{id:guid}/resolve", async (Guid id, ResolveCreditShortfallCommand resolve, CurrentUser user, CancellationToken ct) =>
            Problems.Map(await resolve.Run(id, user.UserId, ct), TypedResults.Ok))
            .WithSummary("Mark a refund shortfall as settled or written off.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }
}

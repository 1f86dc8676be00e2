using Kiln.Core.Billing;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

/// <summary>A workspace's billing: checkout, portal, subscription (and canceling it) and payment history.</summary>
public static class BillingApi
{
    public static RouteGroupBuilder MapBillingApi(this RouteGroupBuilder api)
    {
        var billing = api.MapGroup("/billing").WithTags("Billing");

        billing.MapPost("/checkout", async (CheckoutRequestDto r, CurrentUser me, CreateCheckoutCommand checkout, CancellationToken ct) =>
        {
            var result = await checkout.Run(me.Caller, r.Kind ?? "", r.ItemId ?? "", me.Email, ct);
            return Problems.Map(result, c => TypedResults.Ok(new CheckoutDto(c.RedirectUrl, c.Provider)));
        }).WithSummary("Start a checkout for a pack or plan (owners and admins); redirect the payer to the returned url.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status502BadGateway);

        billing.MapPost("/portal", async (CurrentUser me, CreatePortalCommand portal, CancellationToken ct) =>
            Problems.Map(await portal.Run(me.Caller, ct), url => TypedResults.Ok(new PortalDto(url))))
            .WithSummary("A provider-hosted page to manage the subscription and payment method (owners and admins).")
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
}

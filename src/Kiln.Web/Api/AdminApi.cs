using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Web.Infrastructure;
using Kiln.Web.Queries;

namespace Kiln.Web.Api;

public sealed record AdjustCreditsRequest(Guid WorkspaceId, long Amount, string Reason, string? RequestId)
{
    public CreditMoveRequest ToCommand() => new(WorkspaceId, Amount, Reason, RequestId);
}

/// <summary>Operator endpoints (global admins only).</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(KilnPolicies.Admin);
        admin.MapPost("/credits/grant", async (AdjustCreditsRequest r, CurrentUser user, GrantCreditsCommand grant, CancellationToken ct) =>
                Problems.Map(await grant.Run(user.Caller, r.ToCommand(), ct), e => Results.Ok(LedgerEntryDto.From(e))))
            .WithSummary("Grant credits to a workspace, with a reason. RequestId (at most 100 characters) makes a retry a no-op.");
        admin.MapPost("/credits/adjust", async (AdjustCreditsRequest r, CurrentUser user, AdjustCreditsCommand adjust, CancellationToken ct) =>
                Problems.Map(await adjust.Run(user.Caller, r.ToCommand(), ct), e => Results.Ok(LedgerEntryDto.From(e))))
            .WithSummary("Adjust a workspace's balance up or down, with a reason. RequestId (at most 100 characters) makes a retry a no-op.");
        admin.MapGet("/workspaces", async (AdminQueries q, CancellationToken ct) => Results.Ok(await q.Workspaces(ct)))
            .WithSummary("All workspaces with their balances.");
        admin.MapPost("/jobs/{id:guid}/retry", async (Guid id, CurrentUser user, RetryJobCommand retry, CancellationToken ct) =>
            Problems.Map(await retry.Run(null, id, user.UserId, ct), c => Results.Created($"/api/jobs/{c.Job.Id}", JobDto.From(c.Job))))
            .WithSummary("Run any workspace's failed or canceled job again; the new job holds credits from that workspace.");
        admin.MapGet("/queue", async (AdminQueries q, CancellationToken ct) => Results.Ok(new
        {
            Jobs = (await q.JobsByStatus(ct)).ToDictionary(x => JobDto.StatusName(x.Key), x => x.Value),
            Ready = await q.QueueDepth(ct),
            Workers = await q.Workers(ct),
        })).WithSummary("Jobs by status, the jobs ready and waiting, and the live workers.");
        return api;
    }
}

using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Kiln.Web.Queries;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Web.Api;

public sealed record AdjustCreditsRequest(Guid WorkspaceId, long Amount, string Reason, string? RequestId);

/// <summary>Operator endpoints (global admins only).</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(KilnPolicies.Admin);
        admin.MapPost("/credits/grant", (AdjustCreditsRequest r, CurrentUser user, CreditsLedger ledger, KilnDbContext db, CancellationToken ct) =>
            Move(r, LedgerEntryKind.Grant, user, ledger, db, ct)).WithSummary("Grant credits to a workspace, with a reason. RequestId makes a retry a no-op.");
        admin.MapPost("/credits/adjust", (AdjustCreditsRequest r, CurrentUser user, CreditsLedger ledger, KilnDbContext db, CancellationToken ct) =>
            Move(r, LedgerEntryKind.Adjustment, user, ledger, db, ct)).WithSummary("Adjust a workspace's balance up or down, with a reason.");
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

    private static async Task<IResult> Move(AdjustCreditsRequest r, LedgerEntryKind kind, CurrentUser user, CreditsLedger ledger, KilnDbContext db, CancellationToken ct)
    {
        if (!await db.Workspaces.AnyAsync(w => w.Id == r.WorkspaceId, ct)) return Problems.NotFound("Workspace");
        if (string.IsNullOrWhiteSpace(r.Reason)) return Problems.From(Error.Invalid("reason_required", "Give a reason; it is shown in the workspace's ledger."));
        if (r.Amount == 0 || (kind == LedgerEntryKind.Grant && r.Amount < 0))
            return Problems.From(Error.Invalid("invalid_amount", kind == LedgerEntryKind.Grant ? "A grant is a positive number of credits." : "An adjustment is a non-zero number of credits."));
        var key = $"admin:{(r.RequestId is { Length: > 0 and <= 100 } id ? id : Ids.New().ToString("N"))}";
        var result = await ledger.PostAsync(r.WorkspaceId, kind, r.Amount, key, r.Reason.Trim(), user.UserId, ct);
        return Problems.Map(result, e => Results.Ok(LedgerEntryDto.From(e)));
    }
}

using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Web.Infrastructure;
using Kiln.Web.Queries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record AdjustCreditsRequest(Guid WorkspaceId, long Amount, string Reason, string? RequestId)
{
    public CreditMoveRequest ToCommand() => new(WorkspaceId, Amount, Reason, RequestId);
}

/// <summary>AI usage of one attempt and model (<c>attempt</c> is null in totals). <c>estimatedCost</c> is in the currency of the
/// operator's configured model prices; <c>costIncomplete</c> says some calls had no price, so it is a lower bound.</summary>
public sealed record AiUsageDto(int? Attempt, string Provider, string Model, int Calls, int CachedCalls, long InputTokens, long OutputTokens,
    decimal EstimatedCost, bool CostIncomplete)
{
    public static AiUsageDto From(Core.Ai.AiUsageLine l) =>
        new(l.Attempt, l.Provider, l.Model, l.Calls, l.CachedCalls, l.InputTokens, l.OutputTokens, l.EstimatedCost, l.CostIncomplete);
}

public sealed record JobAiUsageDto(Guid JobId, IReadOnlyList<AiUsageDto> Lines, AiUsageDto? Total);

public sealed record AiUsageTotalsDto(DateTime Since, IReadOnlyList<AiUsageDto> Models, IReadOnlyList<AiUsageDto> Providers);

public sealed record QueueDto(Dictionary<string, int> Jobs, int Ready, List<WorkerHeartbeat> Workers);

/// <summary>Operator endpoints (global admins only).</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder api)
    {
        var admin = api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(KilnPolicies.Admin);
        admin.MapPost("/credits/grant", async (AdjustCreditsRequest r, CurrentUser user, GrantCreditsCommand grant, CancellationToken ct) =>
                Problems.Map(await grant.Run(user.Caller, r.ToCommand(), ct), e => TypedResults.Ok(LedgerEntryDto.From(e))))
            .WithSummary("Grant credits to a workspace, with a reason. RequestId (at most 100 characters) makes a retry a no-op.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/credits/adjust", async (AdjustCreditsRequest r, CurrentUser user, AdjustCreditsCommand adjust, CancellationToken ct) =>
                Problems.Map(await adjust.Run(user.Caller, r.ToCommand(), ct), e => TypedResults.Ok(LedgerEntryDto.From(e))))
            .WithSummary("Adjust a workspace's balance up or down, with a reason. RequestId (at most 100 characters) makes a retry a no-op.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/users/{id:guid}/lock", async (Guid id, CurrentUser user, Core.Accounts.LockUserCommand lockUser, CancellationToken ct) =>
                Problems.Map(await lockUser.Run(user.Caller, id, locked: true, ct), _ => TypedResults.NoContent()))
            .WithSummary("Lock an account: every session, refresh token, access token and cookie stops at once and sign-in is refused until unlocked.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/users/{id:guid}/unlock", async (Guid id, CurrentUser user, Core.Accounts.LockUserCommand lockUser, CancellationToken ct) =>
                Problems.Map(await lockUser.Run(user.Caller, id, locked: false, ct), _ => TypedResults.NoContent()))
            .WithSummary("Unlock an account; its owner signs in again.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/workspaces", async (AdminQueries q, CancellationToken ct) => TypedResults.Ok(await q.Workspaces(ct)))
            .WithSummary("All workspaces with their balances.");
        admin.MapPost("/jobs/{id:guid}/retry", async (Guid id, CurrentUser user, RetryJobCommand retry, CancellationToken ct) =>
            Problems.Map(await retry.Run(null, id, user.UserId, ct), c => TypedResults.Created($"/api/jobs/{c.Job.Id}", JobDto.From(c.Job))))
            .WithSummary("Run any workspace's failed or canceled job again; the new job holds credits from that workspace.")
            .ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapGet("/queue", async (AdminQueries q, CancellationToken ct) => TypedResults.Ok(new QueueDto(
            (await q.JobsByStatus(ct)).ToDictionary(x => x.Key.WireName(), x => x.Value),
            await q.QueueDepth(ct),
            await q.Workers(ct)))).WithSummary("Jobs by status, the jobs ready and waiting, and the live workers.");
        admin.MapGet("/jobs/{id:guid}/ai-usage", JobAiUsage)
            .WithSummary("A job's AI usage per attempt and provider model: calls, cache hits, tokens and the estimated provider cost.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/ai-usage", AiUsageTotals)
            .WithSummary("AI usage of all workspaces per provider and model over the last `days` days (1–366, default 30).")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<Results<Ok<JobAiUsageDto>, ProblemHttpResult>> JobAiUsage(Guid id, AdminQueries q, Core.Ai.GetJobAiUsageQuery usage, CancellationToken ct)
    {
        if (await q.Job(id, ct) is null) return Problems.From(Error.NotFound("Job"));
        var lines = await usage.Run(id, ct);
        return TypedResults.Ok(new JobAiUsageDto(id, lines.Select(AiUsageDto.From).ToList(), lines.Count == 0 ? null : AiUsageDto.From(Core.Ai.AiUsageLine.Sum(lines, null, null))));
    }

    private static async Task<Results<Ok<AiUsageTotalsDto>, ProblemHttpResult>> AiUsageTotals(int? days, Core.Ai.AiUsageByProviderQuery usage, TimeProvider time, CancellationToken ct)
    {
        if (days is < 1 or > 366) return Problems.From(Error.Invalid("invalid_days", "days is a number of days from 1 to 366."));
        var since = time.GetUtcNow().UtcDateTime.AddDays(-(days ?? 30));
        var models = await usage.Run(since, ct);
        var providers = models.GroupBy(m => m.Provider, StringComparer.Ordinal).Select(g => Core.Ai.AiUsageLine.Sum(g.ToList(), g.Key, null));
        return TypedResults.Ok(new AiUsageTotalsDto(since, models.Select(AiUsageDto.From).ToList(), providers.Select(AiUsageDto.From).ToList()));
    }
}

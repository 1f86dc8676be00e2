using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public static class CreditsApi
{
    public static RouteGroupBuilder MapCreditsApi(this RouteGroupBuilder api)
    {
        var credits = api.MapGroup("/credits").WithTags("Credits");
        credits.MapGet("/", async (CurrentUser user, GetBalanceQuery q, CancellationToken ct) =>
        {
            var b = await q.Run(user.Workspace, ct);
            return TypedResults.Ok(new BalanceDto(b.Posted, b.Held, b.Available));
        }).WithSummary("The workspace's balance, credits held by running jobs, and what is available.");
        credits.MapGet("/entries", Entries).WithSummary("Ledger entries, newest first, paged; filter by kind.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<Results<Ok<Paged<LedgerEntryDto>>, ProblemHttpResult>> Entries(CurrentUser user, ListLedgerEntriesQuery q, string? kind, int? page, int? pageSize, CancellationToken ct)
    {
        LedgerEntryKind? k = null;
        if (!string.IsNullOrEmpty(kind))
        {
            if (!EnumNames.TryParse<LedgerEntryKind>(kind, out var parsed))
                return Problems.From(Error.Invalid("invalid_kind", $"kind is one of {string.Join(", ", EnumNames.All<LedgerEntryKind>())}."));
            k = parsed;
        }
        var p = await q.Run(user.Workspace, page ?? 1, pageSize ?? 50, k, ct);
        return TypedResults.Ok(new Paged<LedgerEntryDto>(p.Items.Select(LedgerEntryDto.From).ToList(), p.Page, p.PageSize, p.Total));
    }
}

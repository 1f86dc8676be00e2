using Kiln.Core.Common;
using Kiln.Core.Privacy;
using Kiln.Core.Storage;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record DataExportDto(Guid Id, string Status, DateTime RequestedAt, DateTime? FinishedAt, DateTime? ExpiresAt, long? Size, string? Error, string? DownloadUrl)
{
    public static DataExportDto From(DataExport e) => new(e.Id, e.Status.WireName(), e.RequestedAt, e.FinishedAt, e.ExpiresAt, e.Size, e.Error,
        e.Status == DataExportStatus.Ready ? $"/api/account/exports/{e.Id}/download" : null);
}
public sealed record DeletionRequest(string Password);
/// <param name="Pending">True while a deletion is scheduled; cancel it before <paramref name="DueAt"/>.</param>
public sealed record DeletionStatusDto(bool Pending, DateTime? RequestedAt, DateTime? DueAt)
{
    public static DeletionStatusDto From(DeletionStatus s) => new(s.DueAt is not null, s.RequestedAt, s.DueAt);
}

/// <summary>A person's own data: export it (art. 15/20), delete the account (art. 17); "delete now" for a job or one of its files.</summary>
public static class AccountPrivacyApi
{
    private static readonly Error KeysHaveNoPerson = Error.Forbidden("forbidden", "API keys belong to a workspace, not a person; sign in to export or delete your account.");

    public static RouteGroupBuilder MapAccountPrivacyApi(this RouteGroupBuilder api)
    {
        var account = api.MapGroup("/account").WithTags("Account").WithMetadata(ViewerAllowed.WithoutWorkspace);
        account.MapPost("/exports", async Task<Results<Accepted<DataExportDto>, ProblemHttpResult>> (CurrentUser user, RequestExportCommand request, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(KeysHaveNoPerson);
            return Problems.Map(await request.Run(userId, ct), e => TypedResults.Accepted($"/api/account/exports/{e.Id}", DataExportDto.From(e)));
        }).WithSummary("Ask for a zip of your data: profile, memberships, sessions, and your personal workspace's ledger, jobs, notes, shows, uploads and artifacts. "
            + "It is built in the background; one at a time.").ProducesProblem(StatusCodes.Status409Conflict);
        account.MapGet("/exports", async Task<Results<Ok<IEnumerable<DataExportDto>>, ProblemHttpResult>> (CurrentUser user, ListExportsQuery q, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(KeysHaveNoPerson);
            return TypedResults.Ok((await q.Run(userId, ct)).Select(DataExportDto.From));
        }).WithSummary("Your data exports, newest first, with their status and download link while they last.");
        account.MapGet("/exports/{id:guid}/download", async Task<Results<RedirectHttpResult, ProblemHttpResult>> (Guid id, CurrentUser user, ListExportsQuery q, IBlobStore blobs, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(KeysHaveNoPerson);
            var e = await q.One(userId, id, ct);
            if (e is not { Status: DataExportStatus.Ready, BlobKey: { } key }) return Problems.NotFound("Export");
            return TypedResults.Redirect(blobs.GetDownloadUrl(key, $"kiln-export-{e.RequestedAt:yyyy-MM-dd}.zip", "application/zip", TimeSpan.FromMinutes(5)).AbsoluteUri);
        }).WithSummary("Redirect to a short-lived signed download URL of a finished export.")
            .Produces(StatusCodes.Status302Found) // RedirectHttpResult declares no metadata of its own
            .ProducesProblem(StatusCodes.Status404NotFound);

        account.MapGet("/deletion", async Task<Results<Ok<DeletionStatusDto>, ProblemHttpResult>> (CurrentUser user, RequestAccountDeletionCommand deletion, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(KeysHaveNoPerson);
            return TypedResults.Ok(DeletionStatusDto.From(await deletion.Status(userId, ct)));
        }).WithSummary("Whether a deletion of your account is scheduled, and when it runs.");
        account.MapPost("/deletion", async Task<Results<Ok<DeletionStatusDto>, ProblemHttpResult>> (DeletionRequest r, CurrentUser user, RequestAccountDeletionCommand deletion, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(KeysHaveNoPerson);
            return Problems.Map(await deletion.Run(userId, r.Password ?? "", ct), s => TypedResults.Ok(DeletionStatusDto.From(s)));
        }).WithSummary("Delete your account after the grace period (Kiln:Privacy:DeletionGraceDays, 7 by default), confirmed with your password. "
            + "Your personal workspace goes with its files; the ledger and payments are kept without you. Team workspaces you alone own must be handed over first (409 owns_team_workspaces names them).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        account.MapDelete("/deletion", async Task<Results<Ok<DeletionStatusDto>, ProblemHttpResult>> (CurrentUser user, RequestAccountDeletionCommand deletion, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(KeysHaveNoPerson);
            return Problems.Map(await deletion.Cancel(userId, ct), s => TypedResults.Ok(DeletionStatusDto.From(s)));
        }).WithSummary("Cancel a scheduled deletion of your account.").ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/jobs/{id:guid}", async (Guid id, CurrentUser user, DeleteJobCommand delete, CancellationToken ct) =>
                Problems.Map(await delete.Run(user.Caller, id, ct), _ => TypedResults.NoContent()))
            .WithTags("Jobs").WithSummary("Delete a finished job now with its files, events and checkpoints (the ledger keeps its entries).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapDelete("/jobs/{id:guid}/artifacts/{artifactId:guid}", async (Guid id, Guid artifactId, CurrentUser user, DeleteArtifactCommand delete, CancellationToken ct) =>
                Problems.Map(await delete.Run(user.Caller, id, artifactId, ct), _ => TypedResults.NoContent()))
            .WithTags("Jobs").WithSummary("Delete one file of a finished job now.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }
}

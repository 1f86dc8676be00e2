using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Teams;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record CreateWorkspaceRequest(string Name);
public sealed record TransferOwnershipRequest(Guid UserId);
/// <param name="Name">The workspace's name, typed to confirm.</param>
public sealed record DeleteWorkspaceRequest(string? Name);
public sealed record DeletedWorkspaceDto(Guid Id, string Name);
/// <param name="Current">True for the workspace the caller acts in now.</param>
public sealed record WorkspaceSummaryDto(Guid Id, string Name, string Role, bool IsPersonal, bool Current);

/// <summary>Teams: the caller's workspaces, creating one, handing one over, leaving one, deleting one; an operator's forced sign-out.</summary>
public static class TeamsApi
{
    public static RouteGroupBuilder MapTeamsApi(this RouteGroupBuilder api)
    {
        var workspaces = api.MapGroup("/workspaces").WithTags("Workspace");
        workspaces.MapGet("/", async Task<Results<Ok<IEnumerable<WorkspaceSummaryDto>>, ProblemHttpResult>> (CurrentUser user, GetMembershipQuery q, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId)
                return TypedResults.Ok<IEnumerable<WorkspaceSummaryDto>>([new WorkspaceSummaryDto(user.Workspace, "", WorkspaceRole.Member.WireName(), false, true)]);
            var all = await q.All(userId, ct);
            return TypedResults.Ok(all.Select(m => new WorkspaceSummaryDto(m.Workspace.Id, m.Workspace.Name, m.Role.WireName(), m.Workspace.IsPersonal, m.Workspace.Id == user.WorkspaceId)));
        }).WithMetadata(ViewerAllowed.WithoutWorkspace)
            .WithSummary("The workspaces you belong to, your role in each, and which one you act in (an API key sees only its own).");
        workspaces.MapPost("/", async Task<Results<Created<WorkspaceSummaryDto>, ProblemHttpResult>> (CreateWorkspaceRequest r, CurrentUser user, CreateWorkspaceCommand create, CancellationToken ct) =>
            Problems.Map(await create.Run(user.Caller, r.Name ?? "", ct), w =>
                TypedResults.Created($"/api/workspaces/{w.Id}", new WorkspaceSummaryDto(w.Id, w.Name, WorkspaceRole.Owner.WireName(), false, true))))
            .WithMetadata(ViewerAllowed.WithoutWorkspace)
            .WithSummary("Create a team workspace: you own it and act in it from now on. It starts with no credits.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        var ws = api.MapGroup("/workspace").WithTags("Workspace");
        ws.MapPost("/ownership", async Task<Results<Ok<MemberDto>, ProblemHttpResult>> (TransferOwnershipRequest r, CurrentUser user, TransferOwnershipCommand transfer, CancellationToken ct) =>
            Problems.Map(await transfer.Run(user.Caller, r.UserId, ct), m => TypedResults.Ok(MemberDto.From(m))))
            .WithSummary("Hand the current team workspace to another member (owners): they become owner, you stay on as admin.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        ws.MapPost("/deletion", async Task<Results<Ok<DeletedWorkspaceDto>, ProblemHttpResult>> (DeleteWorkspaceRequest r, CurrentUser user, DeleteTeamWorkspaceCommand delete, CancellationToken ct) =>
            Problems.Map(await delete.Run(user.Caller, r.Name, ct), d => TypedResults.Ok(new DeletedWorkspaceDto(d.Id, d.Name))))
            .WithSummary("Delete the current team workspace (owners), confirmed by its name: its members, keys, jobs, uploads, notes and files go at once; "
                + "ledger and payment records stay for accounting. Refused while jobs run (409 jobs_running) or a subscription is live (409 subscription_active).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        ws.MapPost("/leave", async Task<Results<NoContent, ProblemHttpResult>> (CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(new Error("forbidden", "API keys belong to their workspace and cannot leave it.", ErrorKind.Forbidden));
            return Problems.Map(await members.Remove(user.Caller, userId, ct), _ => TypedResults.NoContent());
        }).WithMetadata(ViewerAllowed.Instance)
            .WithSummary("Leave the current workspace; you act in another of yours from the next request. The last owner cannot leave (409 last_owner).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/admin/users/{id:guid}/sign-out", async (Guid id, CurrentUser user, ForceSignOutCommand signOut, CancellationToken ct) =>
                Problems.Map(await signOut.Run(user.Caller, id, ct), _ => TypedResults.NoContent()))
            .RequireAuthorization(KilnPolicies.Admin).WithTags("Admin")
            .WithSummary("Sign a user out everywhere without locking the account: every session, token and cookie stops at its next request.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}

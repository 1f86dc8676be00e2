using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record RenameWorkspaceRequest(string Name);
public sealed record AddMemberRequest(string Email, string? Role);
public sealed record ChangeRoleRequest(string Role);
public sealed record MemberDto(Guid UserId, string? Email, string? DisplayName, string Role, DateTime JoinedAt)
{
    public static MemberDto From(MemberView m) => new(m.UserId, m.Email, m.DisplayName, m.Role.WireName(), m.JoinedAt);
}

public sealed record WorkspaceDto(Guid Id, string Name);
public sealed record SwitchedWorkspaceDto(Guid WorkspaceId);

/// <summary>The current workspace: its name, its members and their roles, and switching between workspaces.</summary>
public static class WorkspaceApi
{
    public static RouteGroupBuilder MapWorkspaceApi(this RouteGroupBuilder api)
    {
        var ws = api.MapGroup("/workspace").WithTags("Workspace");
        ws.MapPut("/", async (RenameWorkspaceRequest r, CurrentUser user, RenameWorkspaceCommand rename, CancellationToken ct) =>
            Problems.Map(await rename.Run(user.Caller, r.Name ?? "", ct), w => TypedResults.Ok(new WorkspaceDto(w.Id, w.Name))))
            .WithSummary("Rename the current workspace (owners and admins).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        ws.MapGet("/members", async (CurrentUser user, ListMembersQuery q, CancellationToken ct) =>
            TypedResults.Ok((await q.Run(user.Workspace, ct)).Select(MemberDto.From))).WithSummary("The workspace's members and their roles.");
        ws.MapPost("/members", async Task<Results<Created<MemberDto>, ProblemHttpResult>> (AddMemberRequest r, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
        {
            if (!TryRole(r.Role ?? "member", out var role)) return BadRole();
            return Problems.Map(await members.Add(user.Caller, r.Email ?? "", role, ct), m => TypedResults.Created($"/api/workspace/members/{m.UserId}", MemberDto.From(m)));
        }).WithSummary("Add an existing Kiln account to the workspace by email (owner, admin or member).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        ws.MapPut("/members/{userId:guid}", async Task<Results<Ok<MemberDto>, ProblemHttpResult>> (Guid userId, ChangeRoleRequest r, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
        {
            if (!TryRole(r.Role ?? "", out var role)) return BadRole();
            return Problems.Map(await members.ChangeRole(user.Caller, userId, role, ct), m => TypedResults.Ok(MemberDto.From(m)));
        }).WithSummary("Change a member's role; the workspace always keeps an owner.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        ws.MapDelete("/members/{userId:guid}", async (Guid userId, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
            Problems.Map(await members.Remove(user.Caller, userId, ct), _ => TypedResults.NoContent()))
            .WithSummary("Remove a member (or leave the workspace yourself).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/workspaces/{id:guid}/switch", async Task<Results<Ok<SwitchedWorkspaceDto>, ProblemHttpResult>> (Guid id, CurrentUser user, SwitchWorkspaceCommand switcher, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(new Error("forbidden", "API keys belong to one workspace and cannot switch.", ErrorKind.Forbidden));
            return Problems.Map(await switcher.Run(userId, id, ct), w => TypedResults.Ok(new SwitchedWorkspaceDto(w)));
        }).WithTags("Workspace").WithSummary("Act in another workspace you are a member of.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static bool TryRole(string s, out WorkspaceRole role) =>
        EnumNames.TryParse(s, out role);

    private static ProblemHttpResult BadRole() => Problems.From(Error.Invalid("invalid_role", "role is one of owner, admin, member."));
}

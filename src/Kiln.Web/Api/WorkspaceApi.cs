using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;

namespace Kiln.Web.Api;

public sealed record RenameWorkspaceRequest(string Name);
public sealed record AddMemberRequest(string Email, string? Role);
public sealed record ChangeRoleRequest(string Role);
public sealed record MemberDto(Guid UserId, string? Email, string? DisplayName, string Role, DateTime JoinedAt)
{
    public static MemberDto From(MemberView m) => new(m.UserId, m.Email, m.DisplayName, m.Role.ToString().ToLowerInvariant(), m.JoinedAt);
}

/// <summary>The current workspace: its name, its members and their roles, and switching between workspaces.</summary>
public static class WorkspaceApi
{
    public static RouteGroupBuilder MapWorkspaceApi(this RouteGroupBuilder api)
    {
        var ws = api.MapGroup("/workspace").WithTags("Workspace");
        ws.MapPut("/", async (RenameWorkspaceRequest r, CurrentUser user, RenameWorkspaceCommand rename, CancellationToken ct) =>
            Problems.Map(await rename.Run(user.Caller, r.Name ?? "", ct), w => Results.Ok(new { w.Id, w.Name })))
            .WithSummary("Rename the current workspace (owners and admins).");
        ws.MapGet("/members", async (CurrentUser user, ListMembersQuery q, CancellationToken ct) =>
            Results.Ok((await q.Run(user.Workspace, ct)).Select(MemberDto.From))).WithSummary("The workspace's members and their roles.");
        ws.MapPost("/members", async (AddMemberRequest r, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
        {
            if (!TryRole(r.Role ?? "member", out var role)) return BadRole();
            return Problems.Map(await members.Add(user.Caller, r.Email ?? "", role, ct), m => Results.Created($"/api/workspace/members/{m.UserId}", MemberDto.From(m)));
        }).WithSummary("Add an existing Kiln account to the workspace by email (owner, admin or member).");
        ws.MapPut("/members/{userId:guid}", async (Guid userId, ChangeRoleRequest r, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
        {
            if (!TryRole(r.Role ?? "", out var role)) return BadRole();
            return Problems.Map(await members.ChangeRole(user.Caller, userId, role, ct), m => Results.Ok(MemberDto.From(m)));
        }).WithSummary("Change a member's role; the workspace always keeps an owner.");
        ws.MapDelete("/members/{userId:guid}", async (Guid userId, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
            Problems.Map(await members.Remove(user.Caller, userId, ct), _ => Results.NoContent()))
            .WithSummary("Remove a member (or leave the workspace yourself).");

        api.MapPost("/workspaces/{id:guid}/switch", async (Guid id, CurrentUser user, SwitchWorkspaceCommand switcher, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(new Error("forbidden", "API keys belong to one workspace and cannot switch.", 403));
            return Problems.Map(await switcher.Run(userId, id, ct), w => Results.Ok(new { workspaceId = w }));
        }).WithTags("Workspace").WithSummary("Act in another workspace you are a member of.");
        return api;
    }

    private static bool TryRole(string s, out WorkspaceRole role) =>
        Enum.TryParse(s, ignoreCase: true, out role) && !int.TryParse(s, out _) && Enum.IsDefined(role);

    private static IResult BadRole() => Problems.From(Error.Invalid("invalid_role", "role is one of owner, admin, member."));
}

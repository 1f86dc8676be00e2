using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Invitations;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record RenameWorkspaceRequest(string Name);
public sealed record InviteRequest(string Email, string? Role);
/// <param name="Link">The link to pass on to the invitee (shown once: only its hash is stored).</param>
public sealed record InvitationDto(Guid Id, string Email, string Role, DateTime CreatedAt, DateTime ExpiresAt, string? Link = null)
{
    public static InvitationDto From(WorkspaceInvitation i, string? link = null) => new(i.Id, i.Email, i.Role.WireName(), i.CreatedAt, i.ExpiresAt, link);
}
public sealed record InvitationPreviewDto(string WorkspaceName, string Role, string? InvitedBy, DateTime ExpiresAt);
public sealed record InvitationResponseDto(Guid WorkspaceId, string Outcome);
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
        ws.MapPost("/invitations", async Task<Results<Created<InvitationDto>, ProblemHttpResult>> (InviteRequest r, HttpContext http, CurrentUser user, InviteMemberCommand invite, CancellationToken ct) =>
        {
            if (!TryRole(r.Role ?? "member", out var role)) return BadRole();
            return Problems.Map(await invite.Run(user.Caller, r.Email ?? "", role, ct), c =>
                TypedResults.Created($"/api/workspace/invitations/{c.Invitation.Id}", InvitationDto.From(c.Invitation, $"{http.Request.Scheme}://{http.Request.Host}/invitations/{c.Token}")));
        }).WithSummary("Invite someone by email with a role (owners and admins). The answer is the same whether or not the address has an account; "
            + "the link (valid 7 days, single use) is in the answer once — pass it on. They join only by accepting it.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        ws.MapGet("/invitations", async (CurrentUser user, ListInvitationsQuery q, CancellationToken ct) =>
            TypedResults.Ok((await q.Run(user.Workspace, ct)).Select(i => InvitationDto.From(i)))).WithSummary("The workspace's open invitations (never their links).");
        ws.MapDelete("/invitations/{id:guid}", async (Guid id, CurrentUser user, RevokeInvitationCommand revoke, CancellationToken ct) =>
            Problems.Map(await revoke.Run(user.Caller, id, ct), _ => TypedResults.NoContent()))
            .WithSummary("Withdraw an open invitation (owners and admins); its link stops working.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        ws.MapPut("/members/{userId:guid}", async Task<Results<Ok<MemberDto>, ProblemHttpResult>> (Guid userId, ChangeRoleRequest r, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
        {
            if (!TryRole(r.Role ?? "", out var role)) return BadRole();
            return Problems.Map(await members.ChangeRole(user.Caller, userId, role, ct), m => TypedResults.Ok(MemberDto.From(m)));
        }).WithSummary("Change a member's role; the workspace always keeps an owner.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        ws.MapDelete("/members/{userId:guid}", async (Guid userId, CurrentUser user, ManageMembersCommand members, CancellationToken ct) =>
            Problems.Map(await members.Remove(user.Caller, userId, ct), _ => TypedResults.NoContent()))
            .WithMetadata(ViewerAllowed.Instance).WithSummary("Remove a member (or leave the workspace yourself).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var invitations = api.MapGroup("/invitations").WithTags("Workspace").WithMetadata(ViewerAllowed.WithoutWorkspace);
        invitations.MapGet("/{token}", async Task<Results<Ok<InvitationPreviewDto>, ProblemHttpResult>> (string token, GetInvitationQuery q, CancellationToken ct) =>
            await q.Run(token, ct) is { } v
                ? TypedResults.Ok(new InvitationPreviewDto(v.WorkspaceName, v.Invitation.Role.WireName(), v.InvitedBy, v.Invitation.ExpiresAt))
                : Problems.From(InvitationErrors.NotFound))
            .WithSummary("What an invitation offers: the workspace, the role and who invited.").ProducesProblem(StatusCodes.Status404NotFound);
        invitations.MapPost("/{token}/accept", (string token, CurrentUser user, RespondToInvitationCommand respond, CancellationToken ct) => Respond(token, true, user, respond, ct))
            .WithSummary("Accept an invitation: you must be signed in with the invited email. You become a member and act in that workspace.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        invitations.MapPost("/{token}/decline", (string token, CurrentUser user, RespondToInvitationCommand respond, CancellationToken ct) => Respond(token, false, user, respond, ct))
            .WithSummary("Decline an invitation (signed in with the invited email); its link stops working.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/workspaces/{id:guid}/switch", async Task<Results<Ok<SwitchedWorkspaceDto>, ProblemHttpResult>> (Guid id, CurrentUser user, SwitchWorkspaceCommand switcher, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(new Error("forbidden", "API keys belong to one workspace and cannot switch.", ErrorKind.Forbidden));
            return Problems.Map(await switcher.Run(userId, id, ct), w => TypedResults.Ok(new SwitchedWorkspaceDto(w)));
        }).WithTags("Workspace").WithMetadata(ViewerAllowed.Instance).WithSummary("Act in another workspace you are a member of.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<InvitationResponseDto>, ProblemHttpResult>> Respond(string token, bool accept, CurrentUser user, RespondToInvitationCommand respond, CancellationToken ct)
    {
        if (user.UserId is not { } userId) return Problems.From(new Error("forbidden", "API keys cannot accept invitations; sign in as the invited person.", ErrorKind.Forbidden));
        return Problems.Map(await respond.Run(userId, token, accept, ct), i => TypedResults.Ok(new InvitationResponseDto(i.WorkspaceId, accept ? "accepted" : "declined")));
    }

    private static bool TryRole(string s, out WorkspaceRole role) =>
        EnumNames.TryParse(s, out role);

    private static ProblemHttpResult BadRole() => Problems.From(Error.Invalid("invalid_role", "role is one of owner, admin, member, viewer."));
}

using Kiln.Core.Privacy;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record MemberPrivacyDto(bool MemberPrivacy);
public sealed record SharingRequest(bool Shared);
public sealed record SharingDto(bool Shared, DateTime? SharedAt);

/// <summary>Per-member privacy: the workspace setting, and sharing one job, upload or note with the workspace.</summary>
public static class PrivacyApi
{
    public static RouteGroupBuilder MapPrivacyApi(this RouteGroupBuilder api)
    {
        api.MapGet("/workspace/privacy", async (CurrentUser user, Core.Accounts.GetMembershipQuery q, CancellationToken ct) =>
                TypedResults.Ok(new MemberPrivacyDto(await q.WorkspaceAsync(user.Workspace, ct) is { MemberPrivacy: true })))
            .WithTags("Workspace").WithSummary("Whether members see only their own jobs, uploads and notes (and what was shared with the workspace).");
        api.MapPut("/workspace/privacy", async (MemberPrivacyDto r, CurrentUser user, SetMemberPrivacyCommand set, CancellationToken ct) =>
                Problems.Map(await set.Run(user.Caller, r.MemberPrivacy, ct), w => TypedResults.Ok(new MemberPrivacyDto(w.MemberPrivacy))))
            .WithTags("Workspace")
            .WithSummary("Turn per-member privacy on or off (owners and admins). On, members and viewers see only their own jobs, uploads and notes "
                + "and those shared with the workspace; owners, admins and API keys see everything.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        MapSharing(api, "/jobs/{id:guid}/sharing", ShareableKind.Job, "Jobs");
        MapSharing(api, "/uploads/{id:guid}/sharing", ShareableKind.Upload, "Uploads");
        MapSharing(api, "/notes/{id:guid}/sharing", ShareableKind.Note, "Notes");
        return api;
    }

    private static void MapSharing(RouteGroupBuilder api, string pattern, ShareableKind kind, string tag) =>
        api.MapPut(pattern, async (Guid id, SharingRequest r, CurrentUser user, ShareCommand share, CancellationToken ct) =>
                Problems.Map(await share.Run(user.Caller, kind, id, r.Shared, ct), at => TypedResults.Ok(new SharingDto(at is not null, at))))
            .WithTags(tag)
            .WithSummary($"Share this {kind.ToString().ToLowerInvariant()} with every member of the workspace, or take it back (its creator, owners and admins). "
                + "Matters when the workspace keeps members' work private.")
            .ProducesProblem(StatusCodes.Status404NotFound);
}

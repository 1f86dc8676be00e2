using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Notes;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Privacy;

/// <summary>
/// Turns per-member privacy on or off for the caller's workspace (owners and admins). On, members and viewers see only
/// the jobs, uploads and notes they created and those shared with the workspace; owners, admins and API keys see all.
/// The rule itself is the query filter in <see cref="KilnDbContext"/>, fed by the request's tenant scope.
/// </summary>
public sealed class SetMemberPrivacyCommand(KilnDbContext db)
{
    public async Task<Result<Workspace>> Run(Caller caller, bool on, CancellationToken ct)
    {
        if (caller.RequireAdmin("change who sees whose work") is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var w = await db.Workspaces.FirstOrDefaultAsync(x => x.Id == workspaceId, ct);
        if (w is null) return Error.NotFound("Workspace");
        w.MemberPrivacy = on;
        await db.SaveChangesAsync(ct);
        return w;
    }
}

public enum ShareableKind { Job, Upload, Note }

/// <summary>
/// Shares one job, upload or note with the whole workspace, or takes it back. Only its creator or an owner/admin
/// decides; anyone else who can see it (because it is shared) is told no. What the caller cannot see is not found.
/// </summary>
public sealed class ShareCommand(KilnDbContext db, TimeProvider clock)
{
    private static readonly Error NotYours = Error.Forbidden("forbidden", "Only whoever created it, or an owner or admin, shares it or takes it back.");

    public async Task<Result<DateTime?>> Run(Caller caller, ShareableKind kind, Guid id, bool shared, CancellationToken ct)
    {
        var workspaceId = caller.Workspace;
        DateTime? at = shared ? clock.GetUtcNow().UtcDateTime : null;
        switch (kind)
        {
            case ShareableKind.Job:
                var job = await db.Jobs.FirstOrDefaultAsync(x => x.Id == id && x.WorkspaceId == workspaceId, ct);
                if (job is null) return Error.NotFound("Job");
                if (!MayDecide(caller, job.CreatedByUserId)) return NotYours;
                // A raw-SQL queue owns the job row's hot columns: touch only this one.
                await db.Jobs.Where(x => x.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.SharedAt, at), ct);
                return at;
            case ShareableKind.Upload:
                var upload = await db.Uploads.FirstOrDefaultAsync(x => x.Id == id && x.WorkspaceId == workspaceId, ct);
                if (upload is null) return Error.NotFound("Upload");
                if (!MayDecide(caller, upload.CreatedByUserId)) return NotYours;
                upload.SharedAt = at;
                break;
            default:
                var note = await db.Notes.FirstOrDefaultAsync(x => x.Id == id && x.WorkspaceId == workspaceId, ct);
                if (note is null) return Error.NotFound("Note");
                if (!MayDecide(caller, note.CreatedByUserId)) return NotYours;
                note.SharedAt = at;
                break;
        }
        await db.SaveChangesAsync(ct);
        return at;
    }

    private static bool MayDecide(Caller caller, Guid? creator) =>
        caller.Administers || (caller.UserId is { } me && creator == me);
}

/// <summary>The deletion loop looks up due accounts by this index.</summary>
internal sealed class UserDeletionConfiguration : IEntityTypeConfiguration<KilnUser>
{
    public void Configure(EntityTypeBuilder<KilnUser> b) => b.HasIndex(x => x.DeletionDueAt);
}

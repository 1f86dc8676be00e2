using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts;

public sealed record Membership(Workspace Workspace, WorkspaceRole Role);

public sealed class GetMembershipQuery(KilnDbContext db)
{
    /// <summary>The user's role in the workspace, or null when they are not a member.</summary>
    public async Task<Membership?> Run(Guid userId, Guid workspaceId, CancellationToken ct)
    {
        var row = await (from m in db.WorkspaceMembers
                         join w in db.Workspaces on m.WorkspaceId equals w.Id
                         where m.UserId == userId && m.WorkspaceId == workspaceId
                         select new { w, m.Role }).AsNoTracking().FirstOrDefaultAsync(ct);
        return row is null ? null : new Membership(row.w, row.Role);
    }

    public Task<Workspace?> WorkspaceAsync(Guid workspaceId, CancellationToken ct) =>
        db.Workspaces.AsNoTracking().FirstOrDefaultAsync(w => w.Id == workspaceId, ct);

    public async Task<List<Membership>> All(Guid userId, CancellationToken ct) =>
        (await (from m in db.WorkspaceMembers
                join w in db.Workspaces on m.WorkspaceId equals w.Id
                where m.UserId == userId
                orderby w.CreatedAt
                select new { w, m.Role }).AsNoTracking().ToListAsync(ct))
        .Select(r => new Membership(r.w, r.Role)).ToList();
}

public sealed class RenameWorkspaceCommand(KilnDbContext db)
{
    public async Task<Result<Workspace>> Run(Caller caller, string name, CancellationToken ct)
    {
        if (caller.RequireAdmin("rename the workspace") is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        name = name.Trim();
        if (TextRules.CheckName(name, "invalid_name", "workspace name", 200) is { } bad) return bad;
        var w = await db.Workspaces.FirstOrDefaultAsync(x => x.Id == workspaceId, ct);
        if (w is null) return Error.NotFound("Workspace");
        w.Name = name;
        await db.SaveChangesAsync(ct);
        return w;
    }
}

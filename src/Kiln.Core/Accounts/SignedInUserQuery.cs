using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts;

/// <summary>What every signed-in request checks about its user: the lock, the security stamp and where it acts.</summary>
public sealed record SignedInUser(Guid Id, string? Email, bool IsAdmin, DateTimeOffset? LockoutEnd, string? SecurityStamp, bool TwoFactorEnabled,
    Guid? CurrentWorkspaceId);

/// <summary>A membership with the workspace settings a request needs (not the whole workspace row).</summary>
public sealed record MembershipSummary(Guid WorkspaceId, string Name, WorkspaceRole Role, bool RequireTwoFactor, bool MemberPrivacy);

/// <summary>
/// The reads behind every request made with a bearer token or a sign-in cookie (<c>TenantMiddleware</c>) and behind
/// <c>GET /api/me</c>: the user row and the membership in the current workspace, read fresh on every request so a sign-out
/// everywhere, a lock or a removal takes effect at once. Compiled once per process and projected to the columns used —
/// through <c>UserManager</c> and whole entities they cost most of a signed-in request's CPU. None of these tables has a
/// tenant filter, so one compiled query (per model: <see cref="CompiledQuery{TDelegate}"/>) serves every caller.
/// </summary>
public sealed class SignedInUserQuery(KilnDbContext db)
{
    private static readonly CompiledQuery<Func<KilnDbContext, Guid, CancellationToken, Task<SignedInUser?>>> UserById = new(() => EF.CompileAsyncQuery(
        (KilnDbContext c, Guid id, CancellationToken ct) => c.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new SignedInUser(u.Id, u.Email, u.IsAdmin, u.LockoutEnd, u.SecurityStamp, u.TwoFactorEnabled, u.CurrentWorkspaceId))
            .FirstOrDefault()));

    private static readonly CompiledQuery<Func<KilnDbContext, Guid, Guid, CancellationToken, Task<MembershipSummary?>>> MembershipIn = new(() => EF.CompileAsyncQuery(
        (KilnDbContext c, Guid user, Guid workspace, CancellationToken ct) =>
            (from m in c.WorkspaceMembers
             join w in c.Workspaces on m.WorkspaceId equals w.Id
             where m.UserId == user && m.WorkspaceId == workspace
             select new MembershipSummary(w.Id, w.Name, m.Role, w.RequireTwoFactor, w.MemberPrivacy)).AsNoTracking().FirstOrDefault()));

    private static readonly CompiledQuery<Func<KilnDbContext, Guid, CancellationToken, Task<MembershipSummary?>>> FirstMembership = new(() => EF.CompileAsyncQuery(
        (KilnDbContext c, Guid user, CancellationToken ct) =>
            (from m in c.WorkspaceMembers
             join w in c.Workspaces on m.WorkspaceId equals w.Id
             where m.UserId == user
             orderby w.CreatedAt
             select new MembershipSummary(w.Id, w.Name, m.Role, w.RequireTwoFactor, w.MemberPrivacy)).AsNoTracking().FirstOrDefault()));

    private static readonly CompiledQuery<Func<KilnDbContext, Guid, IAsyncEnumerable<MembershipSummary>>> AllMemberships = new(() => EF.CompileAsyncQuery(
        (KilnDbContext c, Guid user) =>
            from m in c.WorkspaceMembers
            join w in c.Workspaces on m.WorkspaceId equals w.Id
            where m.UserId == user
            orderby w.CreatedAt
            select new MembershipSummary(w.Id, w.Name, m.Role, w.RequireTwoFactor, w.MemberPrivacy)));

    public Task<SignedInUser?> User(Guid userId, CancellationToken ct) => UserById.For(db)(db, userId, ct);

    /// <summary>The user's membership in <paramref name="workspaceId"/>, or null when they are not a member.</summary>
    public Task<MembershipSummary?> Membership(Guid userId, Guid workspaceId, CancellationToken ct) => MembershipIn.For(db)(db, userId, workspaceId, ct);

    /// <summary>The user's oldest workspace (where a user whose current one is gone acts), or null when they have none.</summary>
    public Task<MembershipSummary?> FirstWorkspace(Guid userId, CancellationToken ct) => FirstMembership.For(db)(db, userId, ct);

    /// <summary>Every workspace of the user, oldest first.</summary>
    public async Task<List<MembershipSummary>> All(Guid userId, CancellationToken ct)
    {
        var list = new List<MembershipSummary>();
        await foreach (var m in AllMemberships.For(db)(db, userId).WithCancellation(ct)) list.Add(m);
        return list;
    }
}

using Kiln.Core.Accounts;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Web.Queries;

public sealed record MemberRow(Guid UserId, string Email, string? DisplayName, WorkspaceRole Role, DateTime Since);

public sealed class WorkspaceQueries(KilnDbContext db)
{
    public Task<List<MemberRow>> Members(Guid workspaceId, CancellationToken ct) =>
        (from m in db.WorkspaceMembers.AsNoTracking()
         join u in db.Users on m.UserId equals u.Id
         where m.WorkspaceId == workspaceId
         orderby m.Role descending, u.Email
         select new MemberRow(u.Id, u.Email!, u.DisplayName, m.Role, m.CreatedAt)).ToListAsync(ct);
}

using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Credits;

public sealed record Balance(long Posted, long Held, long Available);

public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Items, int Page, int PageSize, int Total);

public sealed class GetBalanceQuery(KilnDbContext db)
{
    public async Task<Balance> Run(Guid workspaceId, CancellationToken ct)
    {
        var a = await db.CreditAccounts.AsNoTracking().FirstOrDefaultAsync(x => x.WorkspaceId == workspaceId, ct);
        return a is null ? new Balance(0, 0, 0) : new Balance(a.Posted, a.Held, a.Posted - a.Held);
    }
}

public sealed class ListLedgerEntriesQuery(KilnDbContext db)
{
    public async Task<LedgerPage> Run(Guid workspaceId, int page, int pageSize, LedgerEntryKind? kind, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 200);
        var q = db.LedgerEntries.AsNoTracking().Where(e => e.WorkspaceId == workspaceId);
        if (kind is { } k) q = q.Where(e => e.Kind == k);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(e => e.Id).Skip(Paging.Skip(page, pageSize)).Take(pageSize).ToListAsync(ct);
        return new LedgerPage(items, page, pageSize, total);
    }
}

using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

public sealed class ListCreditShortfallsQuery(KilnDbContext db)
{
    public async Task<IReadOnlyList<CreditShortfall>> Run(bool unresolvedOnly, CancellationToken ct)
    {
        var q = db.Set<CreditShortfall>().AsNoTracking();
        if (unresolvedOnly) q = q.Where(s => s.ResolvedAt == null);
        return await q.OrderByDescending(s => s.CreatedAt).Take(500).ToListAsync(ct);
    }
}

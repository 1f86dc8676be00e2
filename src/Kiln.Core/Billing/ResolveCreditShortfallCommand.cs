using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <summary>Admin action: marks a shortfall as dealt with (written off, or settled with a manual adjustment).</summary>
public sealed class ResolveCreditShortfallCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<CreditShortfall>> Run(Guid shortfallId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<CreditShortfall>().Where(s => s.Id == shortfallId && s.ResolvedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ResolvedAt, now), ct);
        var row = await db.Set<CreditShortfall>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == shortfallId, ct);
        return row is null ? Error.NotFound("Shortfall") : row;
    }
}

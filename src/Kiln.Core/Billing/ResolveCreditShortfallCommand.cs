using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <summary>
/// Admin action: marks a shortfall as dealt with (written off, or settled with a manual adjustment). The operator who
/// resolved it is audited once, when the row actually changes.
/// </summary>
public sealed class ResolveCreditShortfallCommand(KilnDbContext db, TimeProvider clock, Audit.IAuditLog audit)
{
    public async Task<Result<CreditShortfall>> Run(Guid shortfallId, Guid? operatorUserId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var resolved = await db.Set<CreditShortfall>().Where(s => s.Id == shortfallId && s.ResolvedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.ResolvedAt, now), ct);
        var row = await db.Set<CreditShortfall>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == shortfallId, ct);
        if (row is null) return Error.NotFound("Shortfall");
        if (resolved > 0)
            await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.ShortfallResolved, operatorUserId, row.WorkspaceId, row.Id.ToString(),
                new { row.Shortfall, row.RefundId }), ct);
        return row;
    }
}

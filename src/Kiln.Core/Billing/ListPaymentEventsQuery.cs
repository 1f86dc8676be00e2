using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <summary>Admin view of the inbox, newest first, optionally by status.</summary>
public sealed class ListPaymentEventsQuery(KilnDbContext db)
{
    public async Task<IReadOnlyList<PaymentEvent>> Run(PaymentEventStatus? status, int take, CancellationToken ct)
    {
        var q = db.Set<PaymentEvent>().AsNoTracking();
        if (status is { } s) q = q.Where(e => e.Status == s);
        return await q.OrderByDescending(e => e.ReceivedAt).Take(Math.Clamp(take, 1, 500)).ToListAsync(ct);
    }
}

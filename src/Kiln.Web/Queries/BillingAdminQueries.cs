using Kiln.Core.Billing;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Web.Queries;

public sealed record PaymentEventRow(Guid Id, string Provider, string EventId, string Type, PaymentEventStatus Status, int Attempts, string? LastError,
    DateTime ReceivedAt, DateTime? ProcessedAt, DateTime NextAttemptAt);

public sealed record ShortfallRow(CreditShortfall Shortfall, string? WorkspaceName);

/// <summary>
/// The admin billing console's reads. Core's ListPaymentEventsQuery has no paging or single-event read, and the list must
/// not load every payload (they can be large), so these project only the columns a table shows.
/// </summary>
public sealed class BillingAdminQueries(KilnDbContext db)
{
    public async Task<(List<PaymentEventRow> Rows, int Total)> Events(PaymentEventStatus? status, int skip, int take, CancellationToken ct)
    {
        var q = db.Set<PaymentEvent>().AsNoTracking();
        if (status is { } s) q = q.Where(e => e.Status == s);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(e => e.ReceivedAt).ThenBy(e => e.Id).Skip(skip).Take(take)
            .Select(e => new PaymentEventRow(e.Id, e.Provider, e.EventId, e.Type, e.Status, e.Attempts, e.LastError, e.ReceivedAt, e.ProcessedAt, e.NextAttemptAt))
            .ToListAsync(ct);
        return (rows, total);
    }

    public Task<PaymentEvent?> Event(Guid id, CancellationToken ct) =>
        db.Set<PaymentEvent>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);

    public async Task<List<ShortfallRow>> Shortfalls(bool unresolvedOnly, CancellationToken ct)
    {
        var q = db.Set<CreditShortfall>().AsNoTracking();
        if (unresolvedOnly) q = q.Where(s => s.ResolvedAt == null);
        return await (from s in q
                      join w in db.Workspaces.AsNoTracking() on s.WorkspaceId equals w.Id into ws
                      from w in ws.DefaultIfEmpty()
                      orderby s.CreatedAt descending
                      select new ShortfallRow(s, w == null ? null : w.Name)).Take(200).ToListAsync(ct);
    }
}

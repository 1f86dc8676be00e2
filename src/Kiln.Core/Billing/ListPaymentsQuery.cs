using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

public sealed record PaymentView(Guid Id, string Provider, string Kind, string ItemId, long Credits, long Amount, string Currency, string Status,
    string? ReceiptUrl, long RefundedAmount, DateTime CreatedAt);

public sealed class ListPaymentsQuery(KilnDbContext db)
{
    public async Task<IReadOnlyList<PaymentView>> Run(Guid workspaceId, int take, CancellationToken ct) =>
        (await db.Set<Payment>().AsNoTracking().Where(p => p.WorkspaceId == workspaceId)
            .OrderByDescending(p => p.CreatedAt).Take(Math.Clamp(take, 1, 200)).ToListAsync(ct))
        .Select(p => new PaymentView(p.Id, p.Provider, p.Kind == PaymentKind.Pack ? "pack" : "subscription", p.ItemId, p.Credits, p.Amount, p.Currency,
            p.Status, p.ReceiptUrl, p.RefundedAmount, p.CreatedAt)).ToList();
}

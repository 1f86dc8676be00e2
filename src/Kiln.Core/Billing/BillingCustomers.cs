using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <summary>The workspace ↔ provider customer map, tolerant of two checkouts racing to create the same customer.</summary>
public sealed class BillingCustomers(KilnDbContext db, TimeProvider clock)
{
    public Task<string?> Find(Guid workspaceId, string provider, CancellationToken ct) =>
        db.Set<BillingCustomer>().AsNoTracking().Where(c => c.WorkspaceId == workspaceId && c.Provider == provider)
            .Select(c => c.ProviderCustomerId).FirstOrDefaultAsync(ct);

    /// <summary>Returns the stored id, which is the other racer's when it won.</summary>
    public async Task<string> Save(Guid workspaceId, string provider, string customerId, CancellationToken ct)
    {
        db.Set<BillingCustomer>().Add(new BillingCustomer
        {
            Id = Ids.New(), WorkspaceId = workspaceId, Provider = provider, ProviderCustomerId = customerId, CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(ct);
            return customerId;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return await Find(workspaceId, provider, ct) ?? throw new InvalidOperationException("Customer insert failed without a winner.");
        }
    }
}

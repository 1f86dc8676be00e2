using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <param name="CancelVia">
/// Where a live subscription is canceled: <c>portal</c> (the provider's billing portal, <c>POST /api/billing/portal</c>) or
/// <c>kiln</c> (<c>POST /api/billing/subscription/cancel</c>, for providers without a portal); null without one.
/// </param>
public sealed record SubscriptionView(string PlanId, string PlanName, string? Status, string? Provider, DateTime? CurrentPeriodEnd, bool CancelAtPeriodEnd,
    long MonthlyAllowance, long AllowanceLeft, DateTime? AllowanceExpiresAt, PlanLimits Limits, string? CancelVia = null);

/// <summary>The billing settings summary: plan, renewal date and how much of this period's allowance is left.</summary>
public sealed class GetSubscriptionQuery(KilnDbContext db, BillingCatalog catalog, CreditsLedger ledger, PaymentProviders providers)
{
    public async Task<SubscriptionView> Run(Guid workspaceId, CancellationToken ct)
    {
        var planId = await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.Plan).FirstOrDefaultAsync(ct);
        var plan = catalog.PlanOrFree(planId);
        var subs = await db.Set<Subscription>().AsNoTracking().Where(s => s.WorkspaceId == workspaceId).ToListAsync(ct);
        var sub = subs.Where(s => s.IsLive).OrderByDescending(s => s.CurrentPeriodEnd).FirstOrDefault()
            ?? subs.OrderByDescending(s => s.LastEventAt).FirstOrDefault();
        var grant = await db.Set<AllowanceGrant>().AsNoTracking().Where(g => g.WorkspaceId == workspaceId && g.ExpiredAt == null)
            .OrderByDescending(g => g.PeriodEnd).FirstOrDefaultAsync(ct);
        long left = 0;
        if (grant is not null)
        {
            var captured = await db.LedgerEntries.IgnoreQueryFilters()
                .Where(e => e.WorkspaceId == workspaceId && e.Id > grant.LedgerEntryId && e.Kind == LedgerEntryKind.Capture).SumAsync(e => -e.PostedDelta, ct);
            left = Math.Clamp(grant.Credits - captured, 0, Math.Max(0, (await ledger.Account(workspaceId, ct)).Available));
        }
        string? cancelVia = null;
        if (sub is { IsLive: true } && providers.Find(sub.Provider) is { IsSuccess: true } provider)
            cancelVia = provider.Value is ISubscriptionCanceler ? "kiln" : "portal";
        return new SubscriptionView(plan.Id, plan.Name, sub?.Status, sub?.Provider, sub?.CurrentPeriodEnd, sub?.CancelAtPeriodEnd ?? false,
            plan.MonthlyAllowance, left, grant?.PeriodEnd, plan.Limits, cancelVia);
    }
}

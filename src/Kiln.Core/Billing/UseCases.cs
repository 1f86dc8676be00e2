using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

public sealed record CheckoutStarted(Uri RedirectUrl, string Provider);

/// <summary>Starts a provider checkout for a pack or plan of the catalog; the price comes from configuration only.</summary>
public sealed class CreateCheckoutCommand(PaymentProviders providers, BillingCatalog catalog, KilnDbContext db, IOptions<BillingOptions> options)
{
    public async Task<Result<CheckoutStarted>> Run(Guid workspaceId, string kind, string itemId, string? customerEmail, CancellationToken ct)
    {
        var provider = providers.Active;
        if (!provider.IsSuccess) return provider.Error!;
        var item = catalog.Resolve(kind, itemId);
        if (!item.IsSuccess) return item.Error!;
        if (item.Value!.Kind == PaymentKind.Subscription
            && await db.Set<Subscription>().AnyAsync(s => s.WorkspaceId == workspaceId && (s.Status == "active" || s.Status == "trialing" || s.Status == "past_due"), ct))
            return Error.Conflict("already_subscribed", "This workspace already has a subscription; manage or cancel it on the billing settings page.");
        var baseUrl = options.Value.PublicBaseUrl;
        var request = new CheckoutRequest(workspaceId, customerEmail, item.Value,
            new Uri(baseUrl, "billing/success"), new Uri(baseUrl, "billing/cancel"));
        var url = await provider.Value!.CreateCheckoutAsync(request, ct);
        return url.IsSuccess ? new CheckoutStarted(url.Value!, provider.Value.Name) : url.Error!;
    }
}

/// <summary>
/// A provider-hosted page where the payer manages the subscription and payment method (Stripe, Paddle). Providers
/// without one cancel through <see cref="CancelSubscriptionCommand"/>.
/// </summary>
public sealed class CreatePortalCommand(PaymentProviders providers, IOptions<BillingOptions> options)
{
    public async Task<Result<Uri>> Run(Guid workspaceId, CancellationToken ct)
    {
        var provider = providers.Active;
        if (!provider.IsSuccess) return provider.Error!;
        return await provider.Value!.CreatePortalAsync(workspaceId, new Uri(options.Value.PublicBaseUrl, "settings/billing"), ct);
    }
}

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

public sealed class ListCreditShortfallsQuery(KilnDbContext db)
{
    public async Task<IReadOnlyList<CreditShortfall>> Run(bool unresolvedOnly, CancellationToken ct)
    {
        var q = db.Set<CreditShortfall>().AsNoTracking();
        if (unresolvedOnly) q = q.Where(s => s.ResolvedAt == null);
        return await q.OrderByDescending(s => s.CreatedAt).Take(500).ToListAsync(ct);
    }
}

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

using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <summary>
/// Applies provider-neutral facts inside the caller's transaction. Every money movement is a ledger entry with a
/// key derived from the provider's object id, so applying the same fact twice never moves credits twice.
/// </summary>
public sealed class BillingFactApplier(KilnDbContext db, CreditsLedger ledger, BillingCatalog catalog, TimeProvider clock)
{
    public async Task<Error?> ApplyAsync(string provider, BillingFact fact, CancellationToken ct) => fact switch
    {
        PaymentSucceeded f => await PackPaid(provider, f, ct),
        InvoicePaid f => await InvoicePaid(provider, f, ct),
        SubscriptionChanged f => await SubscriptionChanged(provider, f, ct),
        PaymentRefunded f => await Refunded(provider, f, ct),
        PaymentFailed f => await Failed(provider, f, ct),
        CustomerLinked f => await CustomerLinked(provider, f, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(fact), fact.GetType().Name),
    };

    private async Task<Error?> PackPaid(string provider, PaymentSucceeded f, CancellationToken ct)
    {
        if (catalog.FindPack(f.PackId) is not { } pack) return Error.Invalid("unknown_pack", $"Pack '{f.PackId}' is not in the catalog.");
        var payment = await UpsertPayment(provider, f.PaymentId, f.WorkspaceId, PaymentKind.Pack, pack.Id, pack.Credits, f.Amount, f.Currency, f.ReceiptUrl, ct);
        var posted = await ledger.PostAsync(payment.WorkspaceId, LedgerEntryKind.Purchase, pack.Credits, $"pay:{provider}:{f.PaymentId}",
            $"Bought {pack.Name}", null, ct);
        return posted.Error;
    }

    private async Task<Error?> InvoicePaid(string provider, InvoicePaid f, CancellationToken ct)
    {
        if (catalog.FindPlan(f.PlanId) is not { } plan) return Error.Invalid("unknown_plan", $"Plan '{f.PlanId}' is not in the catalog.");
        await UpsertPayment(provider, f.InvoiceId, f.WorkspaceId, PaymentKind.Subscription, plan.Id, plan.MonthlyAllowance, f.Amount, f.Currency, f.ReceiptUrl, ct);
        var grants = db.Set<AllowanceGrant>();
        if (await grants.AnyAsync(g => g.Provider == provider && g.ProviderInvoiceId == f.InvoiceId, ct)) return null;

        // Last period's allowance ends where this one starts.
        var previous = await grants
            .Where(g => g.WorkspaceId == f.WorkspaceId && g.ExpiredAt == null && g.PeriodStart < f.PeriodStart)
            .ToListAsync(ct);
        foreach (var g in previous)
            if (await ExpireAsync(g, ct) is { } err) return err;

        var posted = await ledger.PostAsync(f.WorkspaceId, LedgerEntryKind.SubscriptionAllowance, plan.MonthlyAllowance,
            $"allowance:{provider}:{f.InvoiceId}", $"{plan.Name} allowance {f.PeriodStart:yyyy-MM-dd}–{f.PeriodEnd:yyyy-MM-dd}", null, ct);
        if (!posted.IsSuccess) return posted.Error;
        grants.Add(new AllowanceGrant
        {
            Id = Ids.New(), WorkspaceId = f.WorkspaceId, Provider = provider, ProviderInvoiceId = f.InvoiceId, ProviderSubscriptionId = f.SubscriptionId,
            Credits = plan.MonthlyAllowance, PeriodStart = f.PeriodStart, PeriodEnd = f.PeriodEnd, LedgerEntryId = posted.Value!.Id,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>
    /// Expires what is left of a grant. Allowance is spent before purchased credits, so everything captured since the
    /// grant counts against it first; what remains (never more than is available) expires, keyed per grant.
    /// </summary>
    public async Task<Error?> ExpireAsync(AllowanceGrant grant, CancellationToken ct)
    {
        var unspent = Math.Min(await UnspentAsync(grant, ct), (await ledger.Account(grant.WorkspaceId, ct)).Available);
        unspent = Math.Max(0, unspent);
        var posted = await ledger.PostAsync(grant.WorkspaceId, LedgerEntryKind.Expiry, -unspent, $"expiry:{grant.Provider}:{grant.ProviderInvoiceId}",
            $"Unused allowance of {grant.PeriodStart:yyyy-MM-dd}–{grant.PeriodEnd:yyyy-MM-dd} expired", null, ct);
        if (!posted.IsSuccess) return posted.Error;
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<AllowanceGrant>().Where(g => g.Id == grant.Id && g.ExpiredAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.ExpiredAt, now).SetProperty(g => g.ExpiredCredits, -posted.Value!.PostedDelta), ct);
        return null;
    }

    private async Task<long> UnspentAsync(AllowanceGrant grant, CancellationToken ct)
    {
        var captured = await db.LedgerEntries.IgnoreQueryFilters()
            .Where(e => e.WorkspaceId == grant.WorkspaceId && e.Id > grant.LedgerEntryId && e.Kind == LedgerEntryKind.Capture)
            .SumAsync(e => -e.PostedDelta, ct);
        return Math.Max(0, grant.Credits - captured);
    }

    private async Task<Error?> SubscriptionChanged(string provider, SubscriptionChanged f, CancellationToken ct)
    {
        if (catalog.FindPlan(f.PlanId) is null) return Error.Invalid("unknown_plan", $"Plan '{f.PlanId}' is not in the catalog.");
        var now = clock.GetUtcNow().UtcDateTime;
        var sub = await db.Set<Subscription>().FirstOrDefaultAsync(s => s.Provider == provider && s.ProviderSubscriptionId == f.SubscriptionId, ct);
        if (sub is null)
        {
            sub = new Subscription
            {
                Id = Ids.New(), WorkspaceId = f.WorkspaceId, Provider = provider, ProviderSubscriptionId = f.SubscriptionId, PlanId = f.PlanId,
                Status = f.Status, CreatedAt = now,
            };
            db.Set<Subscription>().Add(sub);
            Copy(sub, f, now);
        }
        else if (IsNewer(sub, f))
        {
            Copy(sub, f, now);
        }
        Extend(sub, f, now);
        await db.SaveChangesAsync(ct);
        await RecomputePlan(f.WorkspaceId, ct);
        return null;
    }

    // Canceled is terminal (providers open a new subscription rather than revive one); otherwise the later event
    // wins, and on a tie the one further along (canceled, then ending at period end) does — so any delivery order ends
    // in the same state.
    private static bool IsNewer(Subscription sub, SubscriptionChanged f) =>
        sub.Status != "canceled" && (f.EventTime > sub.LastEventAt || (f.EventTime == sub.LastEventAt && Stage(f.Status, f.CancelAtPeriodEnd) > Stage(sub.Status, sub.CancelAtPeriodEnd)));

    private static int Stage(string status, bool cancelAtPeriodEnd) => status == "canceled" ? 2 : cancelAtPeriodEnd ? 1 : 0;

    private static void Copy(Subscription sub, SubscriptionChanged f, DateTime now)
    {
        sub.PlanId = f.PlanId;
        sub.Status = f.Status;
        sub.CancelAtPeriodEnd = f.CancelAtPeriodEnd;
        sub.LastEventAt = f.EventTime;
        sub.UpdatedAt = now;
    }

    // A period never moves backwards, whatever the event's age: a fact without one (Kiln's own cancellation) or one
    // re-fetched while handling an older payment leaves the latest known period, so when the paid period ends does not
    // depend on the order facts arrive in.
    private static void Extend(Subscription sub, SubscriptionChanged f, DateTime now)
    {
        if (f.PeriodEnd is not { } end || (sub.CurrentPeriodEnd is { } known && end <= known)) return;
        sub.CurrentPeriodStart = f.PeriodStart;
        sub.CurrentPeriodEnd = end;
        sub.UpdatedAt = now;
    }

    /// <summary>Derives the plan from all subscriptions instead of the last event, so the result is order-independent.</summary>
    private async Task RecomputePlan(Guid workspaceId, CancellationToken ct)
    {
        var live = (await db.Set<Subscription>().AsNoTracking().Where(s => s.WorkspaceId == workspaceId).ToListAsync(ct))
            .Where(s => s.IsLive).OrderByDescending(s => s.CurrentPeriodEnd).ThenByDescending(s => s.LastEventAt).FirstOrDefault();
        var plan = live?.PlanId ?? BillingCatalog.FreePlanId;
        // The plan's concurrency becomes the workspace's cap, which job claims enforce.
        var cap = catalog.PlanOrFree(plan).Limits.MaxConcurrentJobs;
        await db.Workspaces.Where(w => w.Id == workspaceId && w.Plan != plan)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.Plan, plan).SetProperty(w => w.MaxConcurrentJobs, cap), ct);
    }

    private async Task<Error?> Refunded(string provider, PaymentRefunded f, CancellationToken ct)
    {
        var key = $"refund:{provider}:{f.RefundId}";
        if (await db.LedgerEntries.IgnoreQueryFilters().AnyAsync(e => e.IdempotencyKey == key, ct)) return null;
        var payment = await db.Set<Payment>().FirstOrDefaultAsync(p => p.Provider == provider && p.ProviderPaymentId == f.PaymentId, ct);
        // The refund overtook the payment's own event: fail so the retry finds the payment.
        if (payment is null) return Error.Conflict("payment_not_recorded", $"Payment {f.PaymentId} has not been recorded yet.");

        var requested = payment.Amount <= 0 ? payment.Credits
            : (long)Math.Round((decimal)payment.Credits * Math.Min(f.RefundedAmount, payment.Amount) / payment.Amount, MidpointRounding.AwayFromZero);
        var available = (await ledger.Account(payment.WorkspaceId, ct)).Available;
        long left;
        if (payment.Kind == PaymentKind.Pack)
        {
            left = payment.Credits - payment.CreditsClawedBack;
            // Allowance is spent first, so the purchased part of the balance is what exceeds the live allowance.
            var liveGrants = await db.Set<AllowanceGrant>().AsNoTracking().Where(g => g.WorkspaceId == payment.WorkspaceId && g.ExpiredAt == null).ToListAsync(ct);
            long allowance = 0;
            foreach (var g in liveGrants) allowance += await UnspentAsync(g, ct);
            available -= allowance;
        }
        else
        {
            var grant = await db.Set<AllowanceGrant>().AsNoTracking()
                .FirstOrDefaultAsync(g => g.Provider == provider && g.ProviderInvoiceId == f.PaymentId && g.ExpiredAt == null, ct);
            left = grant is null ? 0 : await UnspentAsync(grant, ct) - payment.CreditsClawedBack;
        }
        var claw = Math.Max(0, Math.Min(requested, Math.Min(left, available)));
        var posted = await ledger.PostAsync(payment.WorkspaceId, LedgerEntryKind.Refund, -claw, key, $"Refund {f.RefundId} of {f.PaymentId}", null, ct);
        if (!posted.IsSuccess) return posted.Error;

        payment.RefundedAmount = Math.Min(payment.Amount, payment.RefundedAmount + f.RefundedAmount);
        payment.CreditsClawedBack += claw;
        payment.Status = payment.RefundedAmount >= payment.Amount ? "refunded" : "partially_refunded";
        payment.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        if (requested > claw)
        {
            db.Set<CreditShortfall>().Add(new CreditShortfall
            {
                Id = Ids.New(), WorkspaceId = payment.WorkspaceId, PaymentId = payment.Id, Provider = provider, RefundId = f.RefundId,
                CreditsRequested = requested, CreditsClawedBack = claw, Shortfall = requested - claw, CreatedAt = payment.UpdatedAt,
            });
        }
        await db.SaveChangesAsync(ct);
        return null;
    }

    private async Task<Error?> Failed(string provider, PaymentFailed f, CancellationToken ct)
    {
        var exists = await db.Set<Payment>().AnyAsync(p => p.Provider == provider && p.ProviderPaymentId == f.PaymentId, ct);
        if (exists) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        db.Set<Payment>().Add(new Payment
        {
            Id = Ids.New(), WorkspaceId = f.WorkspaceId, Provider = provider, ProviderPaymentId = f.PaymentId, Kind = f.Kind, ItemId = f.ItemId,
            Amount = f.Amount, Currency = f.Currency, Status = "failed", CreatedAt = now, UpdatedAt = now,
        });
        await db.SaveChangesAsync(ct);
        return null;
    }

    private async Task<Error?> CustomerLinked(string provider, CustomerLinked f, CancellationToken ct)
    {
        var set = db.Set<BillingCustomer>();
        if (await set.AnyAsync(c => c.WorkspaceId == f.WorkspaceId && c.Provider == provider, ct)) return null;
        set.Add(new BillingCustomer
        {
            Id = Ids.New(), WorkspaceId = f.WorkspaceId, Provider = provider, ProviderCustomerId = f.CustomerId, CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(ct);
        return null;
    }

    private async Task<Payment> UpsertPayment(string provider, string paymentId, Guid workspaceId, PaymentKind kind, string itemId, long credits,
        long amount, string currency, string? receiptUrl, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var payment = await db.Set<Payment>().FirstOrDefaultAsync(p => p.Provider == provider && p.ProviderPaymentId == paymentId, ct);
        if (payment is null)
        {
            payment = new Payment
            {
                Id = Ids.New(), WorkspaceId = workspaceId, Provider = provider, ProviderPaymentId = paymentId, Kind = kind, ItemId = itemId,
                Credits = credits, Amount = amount, Currency = currency.ToUpperInvariant(), Status = "paid", ReceiptUrl = receiptUrl,
                CreatedAt = now, UpdatedAt = now,
            };
            db.Set<Payment>().Add(payment);
        }
        else if (payment.Status == "failed")
        {
            payment.Status = "paid";
            payment.Credits = credits;
            payment.ReceiptUrl ??= receiptUrl;
            payment.UpdatedAt = now;
        }
        await db.SaveChangesAsync(ct);
        return payment;
    }
}

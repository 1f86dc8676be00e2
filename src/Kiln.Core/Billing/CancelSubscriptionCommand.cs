using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <param name="AlreadyCanceled">True when nothing was left to cancel: the subscription already ends at its period end.</param>
public sealed record CancelSubscriptionOutcome(SubscriptionView Subscription, bool AlreadyCanceled);

/// <summary>
/// Cancels the workspace's subscription for providers without a hosted portal (<see cref="ISubscriptionCanceler"/>:
/// Mollie, the sandbox); Stripe and Paddle payers cancel in their portal. Owners and admins only. The provider's
/// answer becomes facts applied by <see cref="BillingFactApplier"/> exactly like a webhook's, so it does not matter
/// whether this or a webhook about the same subscription is applied first. The plan and the allowance already granted
/// run to the end of the paid period; <see cref="EndLapsedSubscriptionsCommand"/> ends the subscription then.
/// Canceling again is a no-op that says so.
/// </summary>
public sealed class CancelSubscriptionCommand(KilnDbContext db, PaymentProviders providers, BillingFactApplier applier, GetSubscriptionQuery view)
{
    public async Task<Result<CancelSubscriptionOutcome>> Run(Caller caller, CancellationToken ct)
    {
        if (BillingAccess.Require(caller) is not null) return BillingErrors.CancelForbidden;
        var workspaceId = caller.Workspace;
        var live = (await db.Set<Subscription>().AsNoTracking().Where(s => s.WorkspaceId == workspaceId).ToListAsync(ct)).Where(s => s.IsLive).ToList();
        if (live.Count == 0) return BillingErrors.NoSubscription;
        var renewing = live.Where(s => !s.CancelAtPeriodEnd).OrderByDescending(s => s.CurrentPeriodEnd).FirstOrDefault();
        if (renewing is null) return new CancelSubscriptionOutcome(await view.Run(workspaceId, ct), AlreadyCanceled: true);

        var provider = providers.Find(renewing.Provider);
        if (!provider.IsSuccess) return provider.Error!;
        if (provider.Value is not ISubscriptionCanceler canceler) return BillingErrors.CancelInPortal(DisplayName(renewing.Provider));
        var facts = await canceler.CancelSubscriptionAsync(renewing, ct);
        if (!facts.IsSuccess) return facts.Error!;

        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            foreach (var fact in facts.Value!)
            {
                if (await applier.ApplyAsync(renewing.Provider, fact, ct) is { } err)
                {
                    await tx.RollbackAsync(ct);
                    return err;
                }
            }
            await tx.CommitAsync(ct);
        }
        db.ChangeTracker.Clear();
        return new CancelSubscriptionOutcome(await view.Run(workspaceId, ct), AlreadyCanceled: false);
    }

    private static string DisplayName(string provider) => provider.Length == 0 ? provider : char.ToUpperInvariant(provider[0]) + provider[1..];
}

/// <summary>
/// The end of a canceled period for providers that never announce it (<see cref="ISubscriptionCanceler"/>): the
/// subscription becomes canceled through <see cref="BillingFactApplier"/>, as Stripe's
/// <c>customer.subscription.deleted</c> does at period end, and the workspace falls back to Free. Providers with a
/// portal send that event themselves and are left alone (the payer may have resumed there).
/// </summary>
public sealed class EndLapsedSubscriptionsCommand(KilnDbContext db, PaymentProviders providers, BillingFactApplier applier, TimeProvider clock)
{
    public async Task<int> Run(CancellationToken ct)
    {
        var names = providers.All.Where(p => p is ISubscriptionCanceler).Select(p => p.Name).ToList();
        if (names.Count == 0) return 0;
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Set<Subscription>().AsNoTracking()
            .Where(s => names.Contains(s.Provider) && s.CancelAtPeriodEnd && (s.Status == "active" || s.Status == "trialing" || s.Status == "past_due")
                && (s.CurrentPeriodEnd == null || s.CurrentPeriodEnd <= now))
            .OrderBy(s => s.CurrentPeriodEnd).Take(100).ToListAsync(ct);
        var count = 0;
        foreach (var s in due)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var ended = new SubscriptionChanged(s.WorkspaceId, s.ProviderSubscriptionId, s.PlanId, "canceled", s.CurrentPeriodStart, s.CurrentPeriodEnd, true, now);
            if (await applier.ApplyAsync(s.Provider, ended, ct) is null) { await tx.CommitAsync(ct); count++; }
            else await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
        }
        return count;
    }
}

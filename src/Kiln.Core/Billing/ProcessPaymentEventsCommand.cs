using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

/// <summary>
/// Drains the webhook inbox. An event is claimed by a conditional UPDATE (so two workers never apply the same one),
/// interpreted by its provider outside any transaction (HTTP re-fetches), then applied and marked processed in one
/// transaction. Failures go back to pending with exponential backoff until <see cref="BillingOptions.MaxEventAttempts"/>.
/// </summary>
public sealed class ProcessPaymentEventsCommand(KilnDbContext db, PaymentProviders providers, BillingFactApplier applier, TimeProvider clock,
    IOptions<BillingOptions> options, ILogger<ProcessPaymentEventsCommand> log)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    /// <summary>Processes up to <paramref name="batch"/> due events; returns how many were attempted.</summary>
    public async Task<int> Run(int batch, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Set<PaymentEvent>().AsNoTracking()
            .Where(e => (e.Status == PaymentEventStatus.Pending && e.NextAttemptAt <= now) || (e.Status == PaymentEventStatus.Processing && e.LockedUntil < now))
            .OrderBy(e => e.ReceivedAt).Select(e => e.Id).Take(batch).ToListAsync(ct);
        var attempted = 0;
        foreach (var id in due)
            if (await ProcessOneAsync(id, ct) is not null) attempted++;
        return attempted;
    }

    /// <summary>Claims and processes one event; null when another worker has it or it is not due.</summary>
    public async Task<PaymentEventStatus?> ProcessOneAsync(Guid eventId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // Whole milliseconds: the lease doubles as the claim's fence and must compare equal after a database round trip.
        var lease = now + Lease;
        lease = new DateTime(lease.Ticks - (lease.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
        var claimed = await db.Set<PaymentEvent>()
            .Where(e => e.Id == eventId && ((e.Status == PaymentEventStatus.Pending && e.NextAttemptAt <= now) || (e.Status == PaymentEventStatus.Processing && e.LockedUntil < now)))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, PaymentEventStatus.Processing).SetProperty(e => e.LockedUntil, lease)
                .SetProperty(e => e.Attempts, e => e.Attempts + 1), ct);
        if (claimed == 0) return null;
        var evt = await db.Set<PaymentEvent>().AsNoTracking().FirstAsync(e => e.Id == eventId, ct);

        string? error;
        try
        {
            error = await Apply(evt, lease, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "Payment event {Provider}/{EventId} failed", evt.Provider, evt.EventId);
            error = ex.GetType().Name + ": " + ex.Message;
        }
        db.ChangeTracker.Clear();
        var status = error is null ? PaymentEventStatus.Processed : await Reschedule(evt, lease, error, ct);
        KilnMetrics.PaymentEvents.Add(1, new KeyValuePair<string, object?>("provider", evt.Provider),
            new KeyValuePair<string, object?>("outcome", status == PaymentEventStatus.Pending ? "retrying" : status.WireName()));
        return status;
    }

    private async Task<string?> Apply(PaymentEvent evt, DateTime lease, CancellationToken ct)
    {
        var provider = providers.Find(evt.Provider);
        if (!provider.IsSuccess) return provider.Error!.Message;
        var facts = await provider.Value!.ProcessAsync(evt, ct);
        if (!facts.IsSuccess) return $"{facts.Error!.Code}: {facts.Error.Message}";

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var fact in facts.Value!)
        {
            if (await applier.ApplyAsync(evt.Provider, fact, ct) is { } err)
            {
                await tx.RollbackAsync(ct);
                return $"{err.Code}: {err.Message}";
            }
        }
        var now = clock.GetUtcNow().UtcDateTime;
        // Only the claim holder may finish the event (its lease value is its fence): a lease that ran out and was
        // re-claimed, or a re-delivery that put the event back in the queue, makes this a no-op.
        await db.Set<PaymentEvent>().Where(e => e.Id == evt.Id && e.Status == PaymentEventStatus.Processing && e.LockedUntil == lease)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, PaymentEventStatus.Processed).SetProperty(e => e.ProcessedAt, now)
                .SetProperty(e => e.LockedUntil, (DateTime?)null).SetProperty(e => e.LastError, (string?)null), ct);
        await tx.CommitAsync(ct);
        return null;
    }

    private async Task<PaymentEventStatus> Reschedule(PaymentEvent evt, DateTime lease, string error, CancellationToken ct)
    {
        var attempts = evt.Attempts;
        var status = attempts >= options.Value.MaxEventAttempts ? PaymentEventStatus.Failed : PaymentEventStatus.Pending;
        var next = clock.GetUtcNow().UtcDateTime + Backoff(attempts);
        var message = ReceiveWebhookCommand.Truncate(error, 2000);
        await db.Set<PaymentEvent>().Where(e => e.Id == evt.Id && e.Status == PaymentEventStatus.Processing && e.LockedUntil == lease)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, status).SetProperty(e => e.NextAttemptAt, next)
                .SetProperty(e => e.LockedUntil, (DateTime?)null).SetProperty(e => e.LastError, message), CancellationToken.None);
        return status;
    }

    /// <summary>30 s, 1 min, 2 min, … capped at 6 h.</summary>
    public static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(30 * Math.Pow(2, Math.Max(0, attempts - 1)), TimeSpan.FromHours(6).TotalSeconds));
}

/// <summary>Admin action: puts a failed (or waiting) event back in the queue now.</summary>
public sealed class RetryPaymentEventCommand(KilnDbContext db, TimeProvider clock, Audit.IAuditLog audit)
{
    /// <param name="operatorUserId">The operator asking, recorded in the audit log when the event is queued again.</param>
    public async Task<Result<PaymentEvent>> Run(Guid eventId, Guid? operatorUserId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var updated = await db.Set<PaymentEvent>()
            .Where(e => e.Id == eventId && (e.Status == PaymentEventStatus.Failed || e.Status == PaymentEventStatus.Pending))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, PaymentEventStatus.Pending).SetProperty(e => e.NextAttemptAt, now), ct);
        var evt = await db.Set<PaymentEvent>().AsNoTracking().FirstOrDefaultAsync(e => e.Id == eventId, ct);
        if (evt is null) return Error.NotFound("Payment event");
        if (updated == 0) return Error.Conflict("event_not_retryable", $"The event is {evt.Status.WireName()} and cannot be retried.");
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.PaymentEventRetried, operatorUserId, null, evt.Id.ToString(),
            new { evt.Provider, evt.EventId, evt.Attempts }), ct);
        return evt;
    }
}

/// <summary>Expires allowances whose period is over (the renewal path expires them too, but a canceled plan never renews).</summary>
public sealed class ExpireAllowancesCommand(KilnDbContext db, BillingFactApplier applier, TimeProvider clock)
{
    public async Task<int> Run(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Set<AllowanceGrant>().AsNoTracking().Where(g => g.ExpiredAt == null && g.PeriodEnd <= now).OrderBy(g => g.PeriodEnd).Take(100).ToListAsync(ct);
        var count = 0;
        foreach (var grant in due)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (await applier.ExpireAsync(grant, ct) is null) { await tx.CommitAsync(ct); count++; }
            else await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
        }
        return count;
    }
}

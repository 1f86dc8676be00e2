using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Credits;

/// <summary>
/// The only code that moves credits; the queue's batched SQL composes these fragments. Every movement is a
/// conditional UPDATE of the account row (so concurrent callers serialize on the row and an overdraw is refused by the
/// WHERE clause, with the CHECK constraint as the backstop) followed by an append-only entry whose idempotency key is
/// unique in the database. Methods run inside the caller's transaction when there is one, so a job and its hold commit
/// or roll back together. On PostgreSQL the queue places and resolves holds in its one-statement-per-operation SQL
/// instead; that SQL is built from <see cref="LedgerSql"/>, which sits beside this class and writes the same rows
/// (same UPDATEs, hold rows, entries, <see cref="JobKey"/> keys and after-balances).
/// </summary>
public sealed class CreditsLedger(KilnDbContext db, TimeProvider clock)
{
    /// <summary>Adds (or, with a negative amount, removes) posted credits: grants, purchases, allowances, adjustments, refunds, expiry.</summary>
    public async Task<Result<LedgerEntry>> PostAsync(Guid workspaceId, LedgerEntryKind kind, long amount, string idempotencyKey,
        string? reason, Guid? actorUserId, CancellationToken ct)
    {
        if (kind is LedgerEntryKind.Hold or LedgerEntryKind.Capture or LedgerEntryKind.Release)
            throw new ArgumentException("Holds move through PlaceHold/Capture/Release.", nameof(kind));
        return await InTransaction(async () =>
        {
            if (await Existing(idempotencyKey, ct) is { } existing) return existing;
            await EnsureAccountAsync(workspaceId, ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var updated = await db.CreditAccounts
                .Where(a => a.WorkspaceId == workspaceId && a.Posted + amount >= a.Held)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Posted, a => a.Posted + amount).SetProperty(a => a.UpdatedAt, now), ct);
            if (updated == 0)
            {
                var account = await Account(workspaceId, ct);
                return Error.Invalid("balance_would_be_negative",
                    $"This would take the balance below zero ({account.Available} available).");
            }
            return await Append(workspaceId, kind, amount, 0, idempotencyKey, null, reason, actorUserId, ct);
        }, idempotencyKey, ct);
    }

    /// <summary>Reserves <paramref name="amount"/> for a job. Call inside the transaction that inserts the job.</summary>
    public async Task<Result<LedgerEntry>> PlaceHoldAsync(Guid workspaceId, Guid jobId, long amount, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        await EnsureAccountAsync(workspaceId, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var updated = await db.CreditAccounts
            .Where(a => a.WorkspaceId == workspaceId && a.Posted - a.Held >= amount)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Held, a => a.Held + amount).SetProperty(a => a.UpdatedAt, now), ct);
        if (updated == 0)
        {
            var account = await Account(workspaceId, ct);
            return Error.InsufficientCredits(amount, account.Available);
        }
        db.CreditHolds.Add(new CreditHold { JobId = jobId, WorkspaceId = workspaceId, Amount = amount, Status = HoldStatus.Open, CreatedAt = now });
        return await Append(workspaceId, LedgerEntryKind.Hold, 0, amount, JobKey(jobId, LedgerEntryKind.Hold), jobId, null, null, ct);
    }

    /// <summary>
    /// Resolves a job's hold: captures <paramref name="capture"/> (capped at the hold) and releases the rest.
    /// Returns false when the hold was already resolved — the resolving UPDATE only matches an open hold, so a hold
    /// resolves exactly once however many workers, rescuers or cancel requests race for it.
    /// </summary>
    public async Task<bool> ResolveHoldAsync(Guid jobId, long capture, CancellationToken ct)
    {
        var hold = await db.CreditHolds.AsNoTracking().FirstOrDefaultAsync(h => h.JobId == jobId, ct);
        if (hold is null) return false;
        capture = Math.Clamp(capture, 0, hold.Amount);
        var now = clock.GetUtcNow().UtcDateTime;
        var status = capture > 0 ? HoldStatus.Captured : HoldStatus.Released;
        var won = await db.CreditHolds
            .Where(h => h.JobId == jobId && h.Status == HoldStatus.Open)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.Status, status).SetProperty(h => h.Captured, capture).SetProperty(h => h.ResolvedAt, now), ct);
        if (won == 0) return false;

        var release = hold.Amount - capture;
        await db.CreditAccounts
            .Where(a => a.WorkspaceId == hold.WorkspaceId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Posted, a => a.Posted - capture)
                .SetProperty(a => a.Held, a => a.Held - hold.Amount)
                .SetProperty(a => a.UpdatedAt, now), ct);
        // One account move for both entries; each entry still records the totals right after itself (the capture's
        // held includes the release that follows it), so the entries read as a running balance, as LedgerSql writes them.
        var after = await Account(hold.WorkspaceId, ct);
        if (capture > 0)
            await Append(hold.WorkspaceId, LedgerEntryKind.Capture, -capture, -capture, JobKey(jobId, LedgerEntryKind.Capture), jobId, null, null, ct,
                (after.Posted, after.Held + release));
        if (release > 0)
            await Append(hold.WorkspaceId, LedgerEntryKind.Release, 0, -release, JobKey(jobId, LedgerEntryKind.Release), jobId, null, null, ct,
                (after.Posted, after.Held));
        return true;
    }

    public Task<bool> ReleaseHoldAsync(Guid jobId, CancellationToken ct) => ResolveHoldAsync(jobId, 0, ct);

    public async Task EnsureAccountAsync(Guid workspaceId, CancellationToken ct)
    {
        if (await db.CreditAccounts.AnyAsync(a => a.WorkspaceId == workspaceId, ct)) return;
        var now = clock.GetUtcNow().UtcDateTime;
        // Insert-if-absent that tolerates a concurrent insert on both providers.
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO credit_accounts (workspace_id, posted, held, updated_at) VALUES ({workspaceId}, {0L}, {0L}, {now}) ON CONFLICT (workspace_id) DO NOTHING", ct);
    }

    public async Task<CreditAccount> Account(Guid workspaceId, CancellationToken ct) =>
        await db.CreditAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.WorkspaceId == workspaceId, ct)
        ?? new CreditAccount { WorkspaceId = workspaceId };

    private async Task<(long Posted, long Held)> Totals(Guid workspaceId, CancellationToken ct)
    {
        var account = await Account(workspaceId, ct);
        return (account.Posted, account.Held);
    }

    private Task<LedgerEntry?> Existing(string key, CancellationToken ct) =>
        db.LedgerEntries.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(e => e.IdempotencyKey == key, ct);

    /// <summary>Appends an entry whose after-balances are <paramref name="after"/>, or the account's totals now.</summary>
    private async Task<LedgerEntry> Append(Guid workspaceId, LedgerEntryKind kind, long postedDelta, long heldDelta, string key,
        Guid? jobId, string? reason, Guid? actor, CancellationToken ct, (long Posted, long Held)? after = null)
    {
        var (postedAfter, heldAfter) = after ?? await Totals(workspaceId, ct);
        var entry = new LedgerEntry
        {
            WorkspaceId = workspaceId, Kind = kind, PostedDelta = postedDelta, HeldDelta = heldDelta, IdempotencyKey = key,
            JobId = jobId, Reason = reason, ActorUserId = actor, PostedAfter = postedAfter, HeldAfter = heldAfter,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.LedgerEntries.Add(entry);
        await db.SaveChangesAsync(ct);
        CountMovement(kind, Math.Abs(postedDelta != 0 ? postedDelta : heldDelta));
        return entry;
    }

    /// <summary>The idempotency key of a job's hold, capture or release entry (<see cref="LedgerSql"/> builds the same text).</summary>
    internal static string JobKey(Guid jobId, LedgerEntryKind kind) => $"job:{jobId:N}:{kind.WireName()}";

    /// <summary>Metrics for one committed movement; the queue's batched SQL reports its movements here too.</summary>
    internal static void CountMovement(LedgerEntryKind kind, long credits)
    {
        var kindTag = new KeyValuePair<string, object?>("kind", kind.WireName());
        KilnMetrics.LedgerMovements.Add(1, kindTag);
        KilnMetrics.LedgerCredits.Add(credits, kindTag);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in the ambient transaction, or in a new one. A unique violation on the idempotency
    /// key means a concurrent replay won: the existing entry is returned, so a replay is always a no-op.
    /// </summary>
    private async Task<Result<LedgerEntry>> InTransaction(Func<Task<Result<LedgerEntry>>> work, string key, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null) return await work();
        for (var attempt = 0; ; attempt++)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            try
            {
                var result = await work();
                if (result.IsSuccess) await tx.CommitAsync(ct); else await tx.RollbackAsync(ct);
                return result;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                if (await Existing(key, ct) is { } existing) return existing;
            }
        }
    }
}

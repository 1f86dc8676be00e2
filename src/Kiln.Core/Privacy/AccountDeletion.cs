using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Privacy;

public sealed record DeletionStatus(DateTime? RequestedAt, DateTime? DueAt);

/// <summary>
/// Asks to delete the caller's account (art. 17) after a password check. The deletion runs when the grace period ends,
/// unless cancelled. Team workspaces the person is the last owner of must be handed over or deleted first: the answer
/// names them (409 <c>owns_team_workspaces</c>), and the same check runs again when the deletion is due.
/// </summary>
public sealed class RequestAccountDeletionCommand(KilnDbContext db, UserManager<KilnUser> users, IPrivacyNotifier notifier,
    IOptions<PrivacyOptions> options, TimeProvider clock)
{
    public async Task<Result<DeletionStatus>> Run(Guid userId, string password, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        if (!await users.CheckPasswordAsync(user, password ?? ""))
            return Error.Invalid("wrong_password", "The password is wrong; deleting an account needs it.");
        if (await TeamOwnership.BlockingAsync(db, userId, ct) is { } blocked) return blocked;
        var now = clock.GetUtcNow().UtcDateTime;
        user.DeletionRequestedAt = now;
        user.DeletionDueAt = now.AddDays(Math.Max(0, options.Value.DeletionGraceDays));
        await users.UpdateAsync(user);
        await notifier.DeletionScheduledAsync(user.Id, user.Email ?? "", user.DeletionDueAt.Value, ct);
        return new DeletionStatus(user.DeletionRequestedAt, user.DeletionDueAt);
    }

    public async Task<Result<DeletionStatus>> Cancel(Guid userId, CancellationToken ct)
    {
        var changed = await db.Users.Where(u => u.Id == userId && u.DeletionDueAt != null)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.DeletionDueAt, (DateTime?)null).SetProperty(u => u.DeletionRequestedAt, (DateTime?)null), ct);
        return changed == 0 ? Error.NotFound("deletion_not_pending", "No deletion of this account is pending.") : new DeletionStatus(null, null);
    }

    public async Task<DeletionStatus> Status(Guid userId, CancellationToken ct) =>
        await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new DeletionStatus(u.DeletionRequestedAt, u.DeletionDueAt)).FirstAsync(ct);
}

internal static class TeamOwnership
{
    /// <summary>The 409 naming the team workspaces the user is the only owner of, or null.</summary>
    public static async Task<Error?> BlockingAsync(KilnDbContext db, Guid userId, CancellationToken ct)
    {
        var names = await (from m in db.WorkspaceMembers
                           join w in db.Workspaces on m.WorkspaceId equals w.Id
                           where m.UserId == userId && m.Role == WorkspaceRole.Owner && !w.IsPersonal
                                 && !db.WorkspaceMembers.Any(o => o.WorkspaceId == w.Id && o.Role == WorkspaceRole.Owner && o.UserId != userId)
                           orderby w.Name
                           select w.Name).ToListAsync(ct);
        if (names.Count == 0) return null;
        return Error.Conflict("owns_team_workspaces",
            $"You are the only owner of {string.Join(", ", names)}. Hand each one to another member (or delete it) first.")
            with { Extensions = new Dictionary<string, object?> { ["workspaces"] = names } };
    }
}

/// <summary>
/// Erases an account. The personal workspace goes with every row and blob it has (<see cref="WorkspaceErasure"/>) —
/// except what accounting must keep, which stays under the bare workspace id with no person attached. In team
/// workspaces the person's rows lose their author (set to null); rows that exist only for the person (sessions,
/// memberships, exports) go. Tables are found from the EF model, so a table added later is covered without touching
/// this class: a <c>…UserId</c> column ties a row to a person.
/// </summary>
public sealed class EraseAccountCommand(KilnDbContext db, UserManager<KilnUser> users, WorkspaceErasure erasure, SessionRevocations revocations,
    ILogger<EraseAccountCommand> log)
{
    public async Task<Result<bool>> Run(Guid userId, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        if (await TeamOwnership.BlockingAsync(db, userId, ct) is { } blocked) return blocked;
        var personal = await (from m in db.WorkspaceMembers
                              join w in db.Workspaces on m.WorkspaceId equals w.Id
                              where m.UserId == userId && m.Role == WorkspaceRole.Owner && w.IsPersonal
                              select w.Id).ToListAsync(ct);
        if (await db.Jobs.IgnoreQueryFilters().AnyAsync(j => personal.Contains(j.WorkspaceId) && j.FinishedAt == null, ct))
            return Error.Conflict("jobs_running", "Jobs are still running in the personal workspace; the deletion waits for them.");

        await revocations.RevokeAllAsync(userId, "account_deleted", ct);
        foreach (var ws in personal)
            if (await erasure.EraseWhenIdleAsync(ws, ct) > 0)
                return Error.Conflict("jobs_running", "A job started in the personal workspace as the deletion ran; the deletion waits for it.");
        var normalized = users.NormalizeEmail(user.Email);
        await db.WorkspaceInvitations.IgnoreQueryFilters().Where(i => i.NormalizedEmail == normalized).ExecuteDeleteAsync(ct);
        foreach (var (table, column, nullable) in PersonColumns())
            await erasure.ExecuteAsync(nullable ? $"UPDATE {table} SET {column} = NULL WHERE {column} = {{0}}" : $"DELETE FROM {table} WHERE {column} = {{0}}", userId, ct);
        var deleted = await users.DeleteAsync(user);
        if (!deleted.Succeeded) throw new InvalidOperationException("The user row could not be deleted: " + string.Join(" ", deleted.Errors.Select(e => e.Description)));
        log.LogInformation("Erased account {UserId} and {Count} personal workspace(s)", userId, personal.Count);
        return true;
    }

    /// <summary>Every Guid column that names a person (<c>UserId</c>, <c>CreatedByUserId</c>, <c>ActorUserId</c>…), outside Identity's own tables.</summary>
    private IEnumerable<(string Table, string Column, bool Nullable)> PersonColumns() =>
        from e in db.Model.GetEntityTypes()
        where e.GetTableName() is not null && e.ClrType != typeof(KilnUser) && !(e.ClrType.Namespace ?? "").StartsWith("Microsoft.AspNetCore.Identity", StringComparison.Ordinal)
        from p in e.GetProperties()
        where p.Name.EndsWith("UserId", StringComparison.Ordinal) && (p.ClrType == typeof(Guid) || p.ClrType == typeof(Guid?))
        select (WorkspaceErasure.Quote(e.GetTableName()!), WorkspaceErasure.Quote(p.GetColumnName()), p.IsNullable);
}

/// <summary>
/// Removes a workspace (a personal one with its account, a team one by its owner): its blobs, then every row with its
/// <c>WorkspaceId</c>, then the workspace row — except what accounting must keep (<see cref="Kept"/>: the ledger, credit
/// account and holds, payments and subscriptions), which stays under the bare workspace id, the workspace itself gone.
/// </summary>
public sealed class WorkspaceErasure(KilnDbContext db, IBlobStore blobs, CreditsLedger ledger)
{
    /// <summary>Entities kept for accounting when their workspace is erased.</summary>
    public static readonly IReadOnlySet<Type> Kept = new HashSet<Type>
    {
        typeof(LedgerEntry), typeof(CreditAccount), typeof(CreditHold), typeof(Payment), typeof(PaymentEvent), typeof(Subscription),
        typeof(BillingCustomer), typeof(AllowanceGrant), typeof(CreditShortfall),
    };

    /// <summary>
    /// Erases the workspace unless a job in it is unfinished, and decides that under the lock job creation takes: a new
    /// job places its hold by updating the workspace's credit account row, so the count and the erasure run in one
    /// transaction that updates that row first. A creation either committed before (its job is counted, nothing is
    /// erased) or waits until the erasure has committed. Checked outside such a transaction, a job created between the
    /// count and the erasure lost its row while its hold, kept for accounting, stayed open and held the credits for good.
    /// Returns the number of unfinished jobs: 0 means the workspace is gone.
    /// </summary>
    public async Task<int> EraseWhenIdleAsync(Guid workspaceId, CancellationToken ct)
    {
        await ledger.EnsureAccountAsync(workspaceId, ct);
        // SQLite: EF Core's transaction is BEGIN IMMEDIATE, one writer at a time. PostgreSQL: the UPDATE locks the row until commit.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.CreditAccounts.Where(a => a.WorkspaceId == workspaceId).ExecuteUpdateAsync(s => s.SetProperty(a => a.Held, a => a.Held), ct);
        var unfinished = await db.Jobs.IgnoreQueryFilters().CountAsync(j => j.WorkspaceId == workspaceId && j.FinishedAt == null, ct);
        if (unfinished > 0) return unfinished;
        await EraseAsync(workspaceId, ct);
        await tx.CommitAsync(ct);
        return 0;
    }

    public async Task EraseAsync(Guid workspaceId, CancellationToken ct)
    {
        // Bytes first: a crash between leaves rows that a second run deletes, never orphaned files.
        await blobs.DeletePrefixAsync(BlobKeys.WorkspacePrefix(workspaceId), ct);
        foreach (var (table, column) in WorkspaceColumns())
            await ExecuteAsync($"DELETE FROM {table} WHERE {column} = {{0}}", workspaceId, ct);
        // Whoever acted in it acts in another of their workspaces from their next request.
        await db.Users.Where(u => u.CurrentWorkspaceId == workspaceId).ExecuteUpdateAsync(s => s.SetProperty(u => u.CurrentWorkspaceId, (Guid?)null), ct);
        await db.Workspaces.Where(w => w.Id == workspaceId).ExecuteDeleteAsync(ct);
    }

    private IEnumerable<(string Table, string Column)> WorkspaceColumns() =>
        from e in db.Model.GetEntityTypes()
        where e.GetTableName() is not null && !e.IsOwned() && !Kept.Contains(e.ClrType) && e.ClrType != typeof(Workspace)
        from p in e.GetProperties()
        where p.Name == "WorkspaceId"
        select (Quote(e.GetTableName()!), Quote(p.GetColumnName()));

    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>SQLite stores EF's Guids as upper-case text; PostgreSQL as uuid.</summary>
    public Task<int> ExecuteAsync(string sql, Guid id, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync(sql, [db.IsPostgres ? id : id.ToString().ToUpperInvariant()], ct);
}

/// <summary>Runs the deletions whose grace period has ended; one that cannot run yet (running jobs, a team to hand over) waits.</summary>
public sealed class AccountDeletionService(IServiceScopeFactory scopes, TimeProvider clock, ILogger<AccountDeletionService> log)
    : ScopedLoop(scopes, clock, log)
{
    protected override string Name => "Account deletion";
    protected override TimeSpan IdleDelay => TimeSpan.FromMinutes(5);

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct) =>
        await services.GetRequiredService<RunDueDeletionsCommand>().RunAsync(ct) > 0;
}

public sealed class RunDueDeletionsCommand(KilnDbContext db, EraseAccountCommand erase, TimeProvider clock, ILogger<RunDueDeletionsCommand> log)
{
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Users.AsNoTracking().Where(u => u.DeletionDueAt != null && u.DeletionDueAt <= now).OrderBy(u => u.DeletionDueAt)
            .Select(u => u.Id).Take(20).ToListAsync(ct);
        var erased = 0;
        foreach (var id in due)
        {
            var r = await erase.Run(id, ct);
            if (r.Error is { } e) log.LogWarning("Deletion of account {UserId} waits: {Reason}", id, e.Message);
            else erased++;
        }
        return erased;
    }
}

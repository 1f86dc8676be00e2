using System.Data.Common;
using System.Runtime.CompilerServices;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Kiln.Core.Jobs.Events;

/// <summary>
/// The notices of EF writes: an interceptor that sees the job events and ledger entries a context saves and reports them
/// once they are committed — at once outside a transaction, at commit inside one, never after a rollback — so a woken
/// reader always finds what woke it. On PostgreSQL they go to <see cref="PostgresEventNotifier"/> (NOTIFY, heard by
/// every web process); on SQLite straight to this process's <see cref="EventHub"/> (embedded mode runs the job runner
/// in the web process). Writes by another SQLite process, or by code outside DI (the CLI), are caught by
/// <see cref="EventSafetyPoll"/>. The queue's raw SQL reports its own (JobQueue, QueueSql.InsertJob). A committed job
/// event also drops the job's cached status in this process at once (on PostgreSQL the NOTIFY comes back a little later),
/// so a cancel through the API is visible to the very next read.
/// </summary>
public sealed class InProcessEventSignals(PostgresEventNotifier notifier, EventHub? hub = null, JobStatusCache? statusCache = null)
    : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private sealed class Pending
    {
        public readonly List<object> Saving = [];
        public readonly List<EventNotice> Uncommitted = [];
    }

    private readonly ConditionalWeakTable<DbContext, Pending> _pending = new();

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Capture(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Capture(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (eventData.Context is { } c && _pending.TryGetValue(c, out var p)) p.Saving.Clear();
    }

    private void Capture(DbContext? context)
    {
        if (context is null || (hub is null && context.Database.IsSqlite())) return;
        List<object>? added = null;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State != EntityState.Added || entry.Entity is not (JobEvent or LedgerEntry)) continue;
            (added ??= []).Add(entry.Entity);
        }
        if (added is not null) _pending.GetOrCreateValue(context).Saving.AddRange(added);
    }

    private void Saved(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out var p) || p.Saving.Count == 0) return;
        var notices = p.Saving.Select(e => e switch
        {
            JobEvent je => new EventNotice(je.WorkspaceId, je.JobId, je.Id),
            LedgerEntry le => new EventNotice(le.WorkspaceId, null, le.Id),
            _ => default,
        }).ToList();
        p.Saving.Clear();
        if (context.Database.CurrentTransaction is null) Publish(context, notices);
        else p.Uncommitted.AddRange(notices);
    }

    private void Publish(DbContext context, IEnumerable<EventNotice> notices)
    {
        var sqlite = context.Database.IsSqlite();
        foreach (var n in notices)
        {
            if (n.JobId is { } job) statusCache?.Invalidate(job);
            if (sqlite) hub?.Publish(n);
            else notifier.Notify(n);
        }
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Discard(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Discard(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Discard(eventData.Context);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Discard(eventData.Context);
        return Task.CompletedTask;
    }

    private void Committed(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out var p) || p.Uncommitted.Count == 0) return;
        var notices = p.Uncommitted.ToList();
        p.Uncommitted.Clear();
        Publish(context, notices);
    }

    private void Discard(DbContext? context)
    {
        if (context is not null && _pending.TryGetValue(context, out var p)) p.Uncommitted.Clear();
    }
}

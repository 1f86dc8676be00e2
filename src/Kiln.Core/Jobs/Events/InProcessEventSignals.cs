using System.Data.Common;
using System.Runtime.CompilerServices;
using Kiln.Core.Credits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Kiln.Core.Jobs.Events;

/// <summary>
/// SQLite's notices (PostgreSQL's come from triggers through LISTEN): an EF interceptor that sees the job events and
/// ledger entries a context saves and publishes them once they are committed — at once outside a transaction, at
/// commit inside one, never after a rollback — so a woken reader always finds what woke it. Embedded mode runs the job
/// runner in the web process, so every write there passes through here; writes by another process are caught by
/// <see cref="EventSafetyPoll"/>.
/// </summary>
public sealed class InProcessEventSignals(EventHub hub) : SaveChangesInterceptor, IDbTransactionInterceptor
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
        if (context is null || !context.Database.IsSqlite()) return;
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
        if (context.Database.CurrentTransaction is null) Publish(notices);
        else p.Uncommitted.AddRange(notices);
    }

    private void Publish(IEnumerable<EventNotice> notices)
    {
        foreach (var n in notices) hub.Publish(n);
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
        Publish(notices);
    }

    private void Discard(DbContext? context)
    {
        if (context is not null && _pending.TryGetValue(context, out var p)) p.Uncommitted.Clear();
    }
}

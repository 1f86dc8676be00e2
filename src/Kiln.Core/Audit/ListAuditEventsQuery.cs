using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Audit;

/// <summary>An event as lists and exports show it: the actor's email beside their id (null once the user is gone).</summary>
public sealed record AuditEventView(AuditEvent Event, string? ActorEmail);

/// <param name="Before">
/// The keyset cursor, newest first: only events after the previous page's last one in the order (<c>At</c> descending,
/// then <c>Id</c> descending). With <paramref name="BeforeId"/> events at that very instant with a smaller id still
/// follow, so many events at one timestamp are never skipped or repeated; without it, only strictly older events.
/// </param>
public sealed record AuditFilter(DateTime? Before = null, string? Action = null, Guid? ActorUserId = null, Guid? WorkspaceId = null, int Limit = 100,
    Guid? BeforeId = null)
{
    public const int MaxLimit = 500;

    /// <summary>The filter for the page after <paramref name="last"/>.</summary>
    public AuditFilter After(AuditEvent last) => this with { Before = last.At, BeforeId = last.Id };
}

/// <summary>
/// The audit log. Workspace owners read their workspace's events; operators read every event (any workspace, or
/// installation-wide ones such as sign-ins). The role check is here, so the page, the API and the export share it.
/// </summary>
public sealed class ListAuditEventsQuery(KilnDbContext db)
{
    public static readonly Error OwnersOnly = Error.Forbidden("forbidden", "Only workspace owners read the audit log.");

    public async Task<Result<List<AuditEventView>>> ForWorkspace(Caller caller, AuditFilter filter, CancellationToken ct)
    {
        if (caller.WorkspaceId is null || caller.Role != WorkspaceRole.Owner) return OwnersOnly;
        return await Run(filter with { WorkspaceId = caller.Workspace }, ct);
    }

    public async Task<Result<List<AuditEventView>>> ForOperator(Caller caller, AuditFilter filter, CancellationToken ct)
    {
        if (caller.RequireOperator() is { } forbidden) return forbidden;
        return await Run(filter, ct);
    }

    private async Task<List<AuditEventView>> Run(AuditFilter f, CancellationToken ct)
    {
        var q = db.Set<AuditEvent>().IgnoreQueryFilters().AsNoTracking();
        if (f.WorkspaceId is { } ws) q = q.Where(e => e.WorkspaceId == ws);
        if (f.Before is { } before && f.BeforeId is { } beforeId) q = q.Where(e => e.At < before || (e.At == before && e.Id.CompareTo(beforeId) < 0));
        else if (f.Before is { } olderThan) q = q.Where(e => e.At < olderThan);
        if (!string.IsNullOrWhiteSpace(f.Action)) q = q.Where(e => e.Action == f.Action.Trim());
        if (f.ActorUserId is { } actor) q = q.Where(e => e.ActorUserId == actor);
        var limit = Math.Clamp(f.Limit, 1, AuditFilter.MaxLimit);
        return await (from e in q.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(limit)
                      join u in db.Users on e.ActorUserId equals u.Id into actors
                      from u in actors.DefaultIfEmpty()
                      select new AuditEventView(e, u == null ? null : u.Email))
            .ToListAsync(ct);
    }
}

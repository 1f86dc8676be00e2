using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Notes;

/// <summary>A note in a list: no body.</summary>
public sealed record NoteSummary(Guid Id, string Title, string LinkName, string? Subject, string SourceKind, int Version, DateTime CreatedAt, DateTime UpdatedAt, Guid? JobId);

/// <summary>One page of notes, newest change first.</summary>
public sealed record NotePage(IReadOnlyList<NoteSummary> Items, int Page, int PageSize, int Total);

public sealed record NoteVersionInfo(int Number, string Title, DateTime CreatedAt, bool Current);

public sealed record NoteLinkInfo(Guid NoteId, string Title, string LinkName, IReadOnlyList<string> SharedTerms);

public sealed class ListNotesQuery(KilnDbContext db)
{
    public async Task<NotePage> Run(Guid workspaceId, string? q, string? subject, int page, int pageSize, CancellationToken ct)
    {
        var query = string.IsNullOrWhiteSpace(q) ? db.Notes : NoteSearch.Matching(db, q);
        query = query.Where(n => n.WorkspaceId == workspaceId);
        if (!string.IsNullOrWhiteSpace(subject)) query = query.Where(n => n.Subject == subject.Trim());
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 200);
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(n => n.UpdatedAt).ThenBy(n => n.Id).Skip(Paging.Skip(page, pageSize)).Take(pageSize)
            .Select(n => new NoteSummary(n.Id, n.Title, n.LinkName, n.Subject, n.SourceKind, n.Version, n.CreatedAt, n.UpdatedAt, n.JobId))
            .ToListAsync(ct);
        return new NotePage(items, page, pageSize, total);
    }

    /// <summary>The workspace's subjects with their note counts, for the library's filter.</summary>
    public async Task<IReadOnlyList<(string Subject, int Count)>> Subjects(Guid workspaceId, CancellationToken ct) =>
        (await db.Notes.Where(n => n.WorkspaceId == workspaceId && n.Subject != null)
            .GroupBy(n => n.Subject!).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct))
        .OrderBy(x => x.Key, StringComparer.OrdinalIgnoreCase).Select(x => (x.Key, x.Count)).ToList();
}

public sealed class GetNoteQuery(KilnDbContext db)
{
    public async Task<Result<Note>> Run(Guid workspaceId, Guid id, CancellationToken ct) =>
        await db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id && n.WorkspaceId == workspaceId, ct) is { } note ? note : NoteErrors.NotFound();

    /// <summary>The note a wiki-link names, in the same workspace.</summary>
    public async Task<Note?> ByLinkName(Guid workspaceId, string linkName, CancellationToken ct) =>
        await db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.WorkspaceId == workspaceId && n.LinkName == linkName, ct);
}

public sealed class ListNoteVersionsQuery(KilnDbContext db)
{
    public async Task<Result<IReadOnlyList<NoteVersionInfo>>> Run(Guid workspaceId, Guid id, CancellationToken ct)
    {
        var note = await db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id && n.WorkspaceId == workspaceId, ct);
        if (note is null) return NoteErrors.NotFound();
        var earlier = await db.NoteVersions.AsNoTracking().Where(v => v.NoteId == id && v.WorkspaceId == workspaceId)
            .OrderByDescending(v => v.Number).Select(v => new NoteVersionInfo(v.Number, v.Title, v.CreatedAt, false)).ToListAsync(ct);
        return new[] { new NoteVersionInfo(note.Version, note.Title, note.UpdatedAt, true) }.Concat(earlier).ToList();
    }

    public async Task<Result<NoteVersion>> Get(Guid workspaceId, Guid id, int number, CancellationToken ct) =>
        await db.NoteVersions.AsNoTracking().FirstOrDefaultAsync(v => v.NoteId == id && v.WorkspaceId == workspaceId && v.Number == number, ct) is { } v
            ? v : NoteErrors.VersionNotFound();
}

public sealed class NoteLinksQuery(KilnDbContext db)
{
    /// <summary>Notes that link to this one.</summary>
    public async Task<Result<IReadOnlyList<NoteLinkInfo>>> Backlinks(Guid workspaceId, Guid id, CancellationToken ct)
    {
        if (!await db.Notes.AnyAsync(n => n.Id == id && n.WorkspaceId == workspaceId, ct)) return NoteErrors.NotFound();
        var rows = await (from l in db.NoteLinks
                          join n in db.Notes on l.FromNoteId equals n.Id
                          where l.ToNoteId == id && l.WorkspaceId == workspaceId && n.WorkspaceId == workspaceId
                          select new { n.Id, n.Title, n.LinkName, l.SharedTerms }).ToListAsync(ct);
        return rows.OrderBy(r => r.Title, StringComparer.OrdinalIgnoreCase)
            .Select(r => new NoteLinkInfo(r.Id, r.Title, r.LinkName, NoteLinker.SplitTerms(r.SharedTerms))).ToList();
    }

    /// <summary>Every link name of the workspace → note id (to resolve <c>[[links]]</c> when rendering).</summary>
    public async Task<IReadOnlyDictionary<string, Guid>> LinkTargets(Guid workspaceId, CancellationToken ct) =>
        await db.Notes.AsNoTracking().Where(n => n.WorkspaceId == workspaceId).ToDictionaryAsync(n => n.LinkName, n => n.Id, StringComparer.Ordinal, ct);
}

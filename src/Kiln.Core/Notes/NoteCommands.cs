using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Notes;

/// <summary>
/// Saves the note a study-notes job wrote: a unique link name, links to the workspace's earlier notes that share its key
/// terms (each of which then shows it as a backlink), and the Markdown with those links. Once per job (a unique index on
/// the job id), so a retried attempt finds the note it already saved.
/// </summary>
public sealed class SaveGeneratedNoteCommand(KilnDbContext db, TimeProvider time)
{
    public async Task<Note> Run(Guid workspaceId, Guid? jobId, StudyNote content, CancellationToken ct)
    {
        if (jobId is { } j && await db.Notes.FirstOrDefaultAsync(n => n.JobId == j && n.WorkspaceId == workspaceId, ct) is { } existing)
            return existing;
        var earlier = await db.Notes.AsNoTracking().Where(n => n.WorkspaceId == workspaceId)
            .Select(n => new { n.Id, n.LinkName, n.KeyTerms }).ToListAsync(ct);
        var related = NoteLinker.Related(content.KeyTerms, earlier.Select(n => new NoteLinker.Candidate(n.Id, n.LinkName, NoteLinker.SplitTerms(n.KeyTerms))));
        var taken = earlier.Select(n => n.LinkName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var linkName = NoteLinker.LinkNameFor(content.Title);
        for (var i = 2; taken.Contains(linkName); i++) linkName = $"{NoteLinker.LinkNameFor(content.Title)} ({i})";

        content = content with { Related = related };
        var now = time.GetUtcNow().UtcDateTime;
        Guid? author = jobId is { } jid ? await db.Jobs.IgnoreQueryFilters().Where(x => x.Id == jid).Select(x => x.CreatedByUserId).FirstOrDefaultAsync(ct) : null;
        var note = new Note
        {
            CreatedByUserId = author,
            Id = Ids.New(),
            WorkspaceId = workspaceId,
            JobId = jobId,
            Title = content.Title.Length > 300 ? content.Title[..300] : content.Title,
            LinkName = linkName,
            Subject = content.Subject,
            Markdown = content.ToMarkdown(),
            ContentJson = content.ToJson(),
            KeyTerms = NoteLinker.JoinTerms(content.KeyTerms),
            SourceKind = content.Source?.Kind ?? "document",
            SourceUploadId = content.Source?.UploadId,
            SourceUrl = content.Source?.Url,
            DurationSeconds = content.Source?.DurationSeconds,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Notes.Add(note);
        foreach (var r in related)
            db.NoteLinks.Add(new NoteLink { Id = Ids.New(), WorkspaceId = workspaceId, FromNoteId = note.Id, ToNoteId = r.NoteId, SharedTerms = NoteLinker.JoinTerms(r.SharedTerms), CreatedAt = now });
        await db.SaveChangesAsync(ct);
        return note;
    }
}

/// <param name="ExpectedVersion">When given, the save is refused if the note has moved on (another tab saved first).</param>
public sealed record NoteEdit(string? Title, string? Markdown, string? Subject, int? ExpectedVersion = null);

/// <summary>
/// Edits a note: the text it had becomes a version, the number goes up, and its outgoing links follow the
/// <c>[[wiki-links]]</c> the new text contains (generated links keep their shared terms).
/// </summary>
public sealed class UpdateNoteCommand(KilnDbContext db, TimeProvider time)
{
    public const int MaxMarkdown = 200_000;

    public async Task<Result<Note>> Run(Guid workspaceId, Guid? userId, Guid id, NoteEdit edit, CancellationToken ct)
    {
        var note = await db.Notes.FirstOrDefaultAsync(n => n.Id == id && n.WorkspaceId == workspaceId, ct);
        if (note is null) return NoteErrors.NotFound();
        var title = edit.Title is null ? note.Title : edit.Title.Trim();
        if (title.Length is 0 or > 300) return NoteErrors.TitleRequired();
        var markdown = edit.Markdown ?? note.Markdown;
        if (markdown.Length > MaxMarkdown) return NoteErrors.TooLong(MaxMarkdown);
        if (edit.ExpectedVersion is { } expected && expected != note.Version) return NoteErrors.Stale(note.Version);
        var subject = edit.Subject is null ? note.Subject : edit.Subject.Trim() is { Length: > 0 } s ? (s.Length > 100 ? s[..100] : s) : null;
        if (title == note.Title && markdown == note.Markdown && subject == note.Subject) return note;

        var now = time.GetUtcNow().UtcDateTime;
        db.NoteVersions.Add(new NoteVersion { Id = Ids.New(), NoteId = note.Id, WorkspaceId = workspaceId, Number = note.Version, Title = note.Title, Markdown = note.Markdown, CreatedByUserId = userId, CreatedAt = now });
        note.Title = title;
        note.Markdown = markdown;
        note.Subject = subject;
        note.Version++;
        note.UpdatedAt = now;
        await SyncLinksAsync(note, now, ct);
        await db.SaveChangesAsync(ct);
        return note;
    }

    private async Task SyncLinksAsync(Note note, DateTime now, CancellationToken ct)
    {
        var names = NoteLinker.WikiLinks(note.Markdown);
        var targets = await db.Notes.Where(n => n.WorkspaceId == note.WorkspaceId && names.Contains(n.LinkName) && n.Id != note.Id)
            .Select(n => n.Id).ToListAsync(ct);
        var existing = await db.NoteLinks.Where(l => l.FromNoteId == note.Id && l.WorkspaceId == note.WorkspaceId).ToListAsync(ct);
        db.NoteLinks.RemoveRange(existing.Where(l => !targets.Contains(l.ToNoteId)));
        foreach (var target in targets.Where(t => existing.All(l => l.ToNoteId != t)))
            db.NoteLinks.Add(new NoteLink { Id = Ids.New(), WorkspaceId = note.WorkspaceId, FromNoteId = note.Id, ToNoteId = target, SharedTerms = "", CreatedAt = now });
    }
}

/// <summary>Puts an earlier version's text back; the text it replaces becomes a version too, so a restore can be undone.</summary>
public sealed class RestoreNoteVersionCommand(KilnDbContext db, UpdateNoteCommand update)
{
    public async Task<Result<Note>> Run(Guid workspaceId, Guid? userId, Guid id, int number, CancellationToken ct)
    {
        if (!await db.Notes.AnyAsync(n => n.Id == id && n.WorkspaceId == workspaceId, ct)) return NoteErrors.NotFound();
        var version = await db.NoteVersions.AsNoTracking().FirstOrDefaultAsync(v => v.NoteId == id && v.WorkspaceId == workspaceId && v.Number == number, ct);
        if (version is null) return NoteErrors.VersionNotFound();
        return await update.Run(workspaceId, userId, id, new NoteEdit(version.Title, version.Markdown, null), ct);
    }
}

/// <summary>Deletes a note with its versions and links (in both directions).</summary>
public sealed class DeleteNoteCommand(KilnDbContext db)
{
    public async Task<Result<bool>> Run(Guid workspaceId, Guid id, CancellationToken ct)
    {
        var note = await db.Notes.FirstOrDefaultAsync(n => n.Id == id && n.WorkspaceId == workspaceId, ct);
        if (note is null) return NoteErrors.NotFound();
        db.NoteVersions.RemoveRange(await db.NoteVersions.Where(v => v.NoteId == id && v.WorkspaceId == workspaceId).ToListAsync(ct));
        db.NoteLinks.RemoveRange(await db.NoteLinks.Where(l => (l.FromNoteId == id || l.ToNoteId == id) && l.WorkspaceId == workspaceId).ToListAsync(ct));
        db.Notes.Remove(note);
        await db.SaveChangesAsync(ct);
        return true;
    }
}

using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Kiln.Core.Notes;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record NoteDto(Guid Id, string Title, string LinkName, string? Subject, string Markdown, int Version, string SourceKind,
    Guid? SourceUploadId, string? SourceUrl, double? DurationSeconds, Guid? JobId, DateTime CreatedAt, DateTime UpdatedAt, StudyNote? Content)
{
    public static NoteDto From(Note n) => new(n.Id, n.Title, n.LinkName, n.Subject, n.Markdown, n.Version, n.SourceKind, n.SourceUploadId, n.SourceUrl,
        n.DurationSeconds, n.JobId, n.CreatedAt, n.UpdatedAt, Parse(n.ContentJson));

    private static StudyNote? Parse(string json)
    {
        try { return StudyNote.FromJson(json); }
        catch (JsonException) { return null; }
    }
}

/// <param name="ExpectedVersion">The version the edit was based on: a save over a newer version answers 409 note_changed.</param>
public sealed record UpdateNoteBody(string? Title, string? Markdown, string? Subject, int? ExpectedVersion);

public sealed record NoteVersionDto(int Number, string Title, string Markdown, DateTime CreatedAt);

public static class NotesApi
{
    public static RouteGroupBuilder MapNotesApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/notes").WithTags("Notes");
        g.MapGet("/", ListAsync).WithName("ListNotes")
            .WithSummary("List the workspace's notes, most recently changed first; q searches titles and bodies (full text), subject filters.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        g.MapGet("/subjects", SubjectsAsync).WithName("ListNoteSubjects").WithSummary("The workspace's note subjects with how many notes each has.");
        g.MapGet("/export", ExportAllAsync).WithName("ExportNotes")
            .WithSummary("Every note of the workspace as an Obsidian vault: a zip of Markdown files with YAML front matter, working [[links]] and an attachments folder.")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/zip")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        g.MapGet("/{id:guid}", GetAsync).WithName("GetNote").WithSummary("Get one note: its Markdown, its typed content (outline, quiz, key terms) and its source.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        g.MapPut("/{id:guid}", UpdateAsync).WithName("UpdateNote")
            .WithSummary("Edit a note's title, Markdown or subject. The text it had becomes a version; its [[links]] are updated.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        g.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteNote").WithSummary("Delete a note with its versions and links.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        g.MapGet("/{id:guid}/versions", VersionsAsync).WithName("ListNoteVersions").WithSummary("The note's versions, newest first (the first is the current text).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        g.MapGet("/{id:guid}/versions/{number:int}", VersionAsync).WithName("GetNoteVersion").WithSummary("One earlier version of a note, with its Markdown.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        g.MapPost("/{id:guid}/versions/{number:int}/restore", RestoreAsync).WithName("RestoreNoteVersion")
            .WithSummary("Make an earlier version the current text (the replaced text becomes a version too).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        g.MapGet("/{id:guid}/backlinks", BacklinksAsync).WithName("ListNoteBacklinks").WithSummary("The notes that link to this one, with the key terms they share.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        g.MapGet("/{id:guid}/export", ExportAsync).WithName("ExportNote")
            .WithSummary("Download a note as Markdown (format=md), a standalone HTML page (html) or a PDF (pdf).")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status502BadGateway);
        return api;
    }

    private static async Task<Results<Ok<NotePage>, ProblemHttpResult>> ListAsync(CurrentUser me, ListNotesQuery query, CancellationToken ct,
        string? q = null, string? subject = null, int? page = null, int? pageSize = null)
    {
        if (q is { Length: > 200 }) return Problems.From(Error.Invalid("invalid_query", "A search is at most 200 characters.") with { Extensions = new Dictionary<string, object?> { ["field"] = "q" } });
        return TypedResults.Ok(await query.Run(me.Workspace, q, subject, page ?? 1, pageSize ?? 50, ct));
    }

    private static async Task<Ok<List<SubjectCount>>> SubjectsAsync(CurrentUser me, ListNotesQuery query, CancellationToken ct) =>
        TypedResults.Ok((await query.Subjects(me.Workspace, ct)).Select(s => new SubjectCount(s.Subject, s.Count)).ToList());

    public sealed record SubjectCount(string Subject, int Notes);

    private static async Task<Results<Ok<NoteDto>, ProblemHttpResult>> GetAsync(Guid id, CurrentUser me, GetNoteQuery query, CancellationToken ct) =>
        Problems.Map(await query.Run(me.Workspace, id, ct), n => TypedResults.Ok(NoteDto.From(n)));

    private static async Task<Results<Ok<NoteDto>, ProblemHttpResult>> UpdateAsync(Guid id, UpdateNoteBody body, CurrentUser me, UpdateNoteCommand command, CancellationToken ct) =>
        Problems.Map(await command.Run(me.Workspace, me.UserId, id, new NoteEdit(body.Title, body.Markdown, body.Subject, body.ExpectedVersion), ct), n => TypedResults.Ok(NoteDto.From(n)));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, CurrentUser me, DeleteNoteCommand command, CancellationToken ct)
    {
        var result = await command.Run(me.Workspace, id, ct);
        return result.IsSuccess ? TypedResults.NoContent() : Problems.From(result.Error!);
    }

    private static async Task<Results<Ok<IReadOnlyList<NoteVersionInfo>>, ProblemHttpResult>> VersionsAsync(Guid id, CurrentUser me, ListNoteVersionsQuery query, CancellationToken ct) =>
        Problems.Map(await query.Run(me.Workspace, id, ct), v => TypedResults.Ok(v));

    private static async Task<Results<Ok<NoteVersionDto>, ProblemHttpResult>> VersionAsync(Guid id, int number, CurrentUser me, ListNoteVersionsQuery query, GetNoteQuery notes, CancellationToken ct)
    {
        var note = await notes.Run(me.Workspace, id, ct);
        if (note.Error is { } e) return Problems.From(e);
        if (note.Value!.Version == number) return TypedResults.Ok(new NoteVersionDto(number, note.Value.Title, note.Value.Markdown, note.Value.UpdatedAt));
        return Problems.Map(await query.Get(me.Workspace, id, number, ct), v => TypedResults.Ok(new NoteVersionDto(v.Number, v.Title, v.Markdown, v.CreatedAt)));
    }

    private static async Task<Results<Ok<NoteDto>, ProblemHttpResult>> RestoreAsync(Guid id, int number, CurrentUser me, RestoreNoteVersionCommand command, CancellationToken ct) =>
        Problems.Map(await command.Run(me.Workspace, me.UserId, id, number, ct), n => TypedResults.Ok(NoteDto.From(n)));

    private static async Task<Results<Ok<IReadOnlyList<NoteLinkInfo>>, ProblemHttpResult>> BacklinksAsync(Guid id, CurrentUser me, NoteLinksQuery query, CancellationToken ct) =>
        Problems.Map(await query.Backlinks(me.Workspace, id, ct), l => TypedResults.Ok(l));

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAsync(Guid id, CurrentUser me, NoteExporter exporter, HttpContext http, CancellationToken ct, string? format = null)
    {
        try
        {
            var result = await exporter.Run(me.Workspace, id, format, NotesBase(http), ct);
            return result.Error is { } e ? Problems.From(e) : TypedResults.File(result.Value!.Content, result.Value.ContentType, result.Value.FileName);
        }
        catch (Exception ex) when (ex is ToolFailedException or ToolNotFoundException or ToolTimeoutException)
        {
            return Problems.From(Error.UpstreamFailed("pdf_failed", "The PDF could not be made right now; try again, or export HTML and print it."));
        }
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAllAsync(CurrentUser me, NoteExporter exporter, CancellationToken ct, string? format = null)
    {
        if (!string.Equals(format ?? "obsidian", "obsidian", StringComparison.OrdinalIgnoreCase)) return Problems.From(NoteErrors.BadFormat("obsidian"));
        var file = await exporter.ObsidianAsync(me.Workspace, "Kiln", ct);
        return TypedResults.File(file.Content, file.ContentType, file.FileName);
    }

    internal static string NotesBase(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}/notes";
}

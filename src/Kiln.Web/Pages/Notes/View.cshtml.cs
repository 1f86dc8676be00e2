using Kiln.Core.Media;
using Kiln.Core.Notes;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Notes;

public sealed class ViewModel(GetNoteQuery notes, NoteLinksQuery links, GetUploadQuery uploads, IBlobStore blobs) : KilnPageModel
{
    public Note Note { get; private set; } = null!;
    public StudyNote? Study { get; private set; }
    public HtmlString Html { get; private set; } = HtmlString.Empty;
    public IReadOnlyList<NoteLinkInfo> Backlinks { get; private set; } = [];
    /// <summary>A short-lived URL of the source recording, when the note was made from an uploaded (or imported) file.</summary>
    public string? MediaUrl { get; private set; }
    public bool IsVideo { get; private set; }
    /// <summary>The note's Markdown starts with its own "# Title": that is the page's heading.</summary>
    public bool BodyHasTitle => Note.Markdown.TrimStart().StartsWith("# ", StringComparison.Ordinal);

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        var found = await notes.Run(Workspace, id, ct);
        if (found.Error is not null) return NotFoundPage();
        Note = found.Value!;
        try { Study = StudyNote.FromJson(Note.ContentJson); } catch (System.Text.Json.JsonException) { Study = null; }
        var targets = await links.LinkTargets(Workspace, ct);
        Html = new HtmlString(NoteMarkdown.ToHtml(Note.Markdown, name => targets.TryGetValue(name, out var target) ? $"/notes/{target}" : null));
        Backlinks = (await links.Backlinks(Workspace, id, ct)).Value ?? [];
        if (Note.SourceUploadId is { } uploadId && (await uploads.Run(Workspace, uploadId, ct)).Value is { Kind: "video" or "audio" } upload)
        {
            IsVideo = upload.Kind == "video";
            MediaUrl = blobs.GetDownloadUrl(upload.BlobKey, upload.FileName, upload.ContentType ?? "application/octet-stream", TimeSpan.FromHours(2)).ToString();
        }
        return Page();
    }

    public async Task<IActionResult> OnGetExportAsync(Guid id, string? format, [FromServices] NoteExporter exporter, CancellationToken ct)
    {
        try
        {
            var result = await exporter.Run(Workspace, id, format, $"{Request.Scheme}://{Request.Host}/notes", ct);
            if (result.Error is { Kind: Kiln.Core.Common.ErrorKind.NotFound }) return NotFoundPage();
            if (result.Error is { } e) return BadRequest(e.Message);
            return File(result.Value!.Content, result.Value.ContentType, result.Value.FileName);
        }
        catch (Exception ex) when (ex is ToolFailedException or ToolNotFoundException or ToolTimeoutException)
        {
            TempData["Flash"] = "The PDF could not be made right now; try again, or export HTML and print it.";
            return RedirectToPage(new { id });
        }
    }
}

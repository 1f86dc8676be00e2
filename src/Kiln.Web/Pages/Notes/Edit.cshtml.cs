using System.ComponentModel.DataAnnotations;
using Kiln.Core.Notes;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Notes;

public sealed class EditModel(GetNoteQuery notes, ListNoteVersionsQuery versions, NoteLinksQuery links, UpdateNoteCommand update, RestoreNoteVersionCommand restore) : KilnPageModel
{
    public Note Note { get; private set; } = null!;
    public IReadOnlyList<NoteVersionInfo> Versions { get; private set; } = [];

    [BindProperty, Required(ErrorMessage = "A note needs a title."), StringLength(300)] public string Title { get; set; } = "";
    [BindProperty, StringLength(100)] public string? Subject { get; set; }
    [BindProperty] public string Markdown { get; set; } = "";
    [BindProperty] public int ExpectedVersion { get; set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct)) return NotFoundPage();
        Title = Note.Title;
        Subject = Note.Subject;
        Markdown = Note.Markdown;
        ExpectedVersion = Note.Version;
        return Page();
    }

    /// <summary>The form's save without JavaScript (the page autosaves through the API when it can).</summary>
    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            if (!await LoadAsync(id, ct)) return NotFoundPage();
            return Page();
        }
        var result = await update.Run(Workspace, Me.UserId, id, new NoteEdit(Title, Markdown ?? "", Subject ?? "", ExpectedVersion), ct);
        if (result.Error is { Kind: Kiln.Core.Common.ErrorKind.NotFound }) return NotFoundPage();
        if (result.Error is { } e)
        {
            ModelState.AddModelError(e.Extensions?.TryGetValue("field", out var f) == true && f is "title" ? nameof(Title) : nameof(Markdown), e.Message);
            if (!await LoadAsync(id, ct)) return NotFoundPage();
            return Page();
        }
        TempData["Flash"] = $"Saved as version {result.Value!.Version}.";
        return Redirect($"/notes/{id}");
    }

    public async Task<IActionResult> OnPostRestoreAsync(Guid id, int number, CancellationToken ct)
    {
        var result = await restore.Run(Workspace, Me.UserId, id, number, ct);
        if (result.Error is { } e && e.Kind == Kiln.Core.Common.ErrorKind.NotFound && e.Code == NoteErrors.NotFound().Code) return NotFoundPage();
        TempData["Flash"] = result.Error?.Message ?? $"Version {number} restored (now version {result.Value!.Version}).";
        return Redirect($"/notes/{id}/edit#history");
    }

    /// <summary>The live preview: the same safe rendering as the note page.</summary>
    public async Task<IActionResult> OnPostPreviewAsync(Guid id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct)) return NotFoundPage();
        var targets = await links.LinkTargets(Workspace, ct);
        var html = NoteMarkdown.ToHtml((Markdown ?? "").Length > UpdateNoteCommand.MaxMarkdown ? Markdown![..UpdateNoteCommand.MaxMarkdown] : Markdown ?? "",
            name => targets.TryGetValue(name, out var t) ? $"/notes/{t}" : null);
        return Content(html, "text/html; charset=utf-8");
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken ct)
    {
        var found = await notes.Run(Workspace, id, ct);
        if (found.Error is not null) return false;
        Note = found.Value!;
        Versions = (await versions.Run(Workspace, id, ct)).Value ?? [];
        return true;
    }
}

using Kiln.Core.Notes;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Notes;

public sealed class IndexModel(ListNotesQuery notes) : KilnPageModel
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public string? Subject { get; set; }
    [BindProperty(SupportsGet = true, Name = "page")] public int PageNumber { get; set; } = 1;
    public NotePage Result { get; private set; } = new([], 1, 20, 0);
    public IReadOnlyList<(string Subject, int Count)> Subjects { get; private set; } = [];
    public int Pages => Math.Max(1, (Result.Total + Result.PageSize - 1) / Result.PageSize);
    public bool Filtered => !string.IsNullOrWhiteSpace(Q) || !string.IsNullOrWhiteSpace(Subject);

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (Q is { Length: > 200 }) Q = Q[..200];
        Subjects = await notes.Subjects(Workspace, ct);
        Result = await notes.Run(Workspace, Q, Subject, PageNumber, 20, ct);
    }

    public async Task<IActionResult> OnGetExportAsync([FromServices] NoteExporter exporter, CancellationToken ct)
    {
        var file = await exporter.ObsidianAsync(Workspace, "Kiln", ct);
        return File(file.Content, file.ContentType, file.FileName);
    }

    public string Link(int page) => "/notes?" + string.Join('&', new[]
    {
        string.IsNullOrWhiteSpace(Q) ? null : "q=" + Uri.EscapeDataString(Q),
        string.IsNullOrWhiteSpace(Subject) ? null : "subject=" + Uri.EscapeDataString(Subject),
        page == 1 ? null : "page=" + page,
    }.OfType<string>());
}

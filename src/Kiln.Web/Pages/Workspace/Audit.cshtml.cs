using Kiln.Core.Audit;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>The workspace's audit log for its owners: newest first, 100 a page, filter by action, CSV export.</summary>
public sealed class AuditModel(ListAuditEventsQuery audit) : WorkspacePageModel
{
    public const int PageSize = 100;
    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    [BindProperty(SupportsGet = true)] public DateTime? Before { get; set; }
    [BindProperty(SupportsGet = true)] public Guid? BeforeId { get; set; }
    public IReadOnlyList<AuditEventView> Rows { get; private set; } = [];
    public bool NotOwner { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var result = await audit.ForWorkspace(Me.Caller, new AuditFilter(Before?.ToUniversalTime(), Action, Limit: PageSize, BeforeId: BeforeId), ct);
        NotOwner = result.Error is not null;
        Rows = result.Value ?? [];
    }

    public string Query(string path) => AuditPaging.Query(path, Action, null, null, null);

    public string? NextPage => Rows.Count == PageSize ? AuditPaging.Query("/workspace/audit", Action, null, null, Rows[^1].Event) : null;
}

/// <summary>Query strings of the audit pages (filters plus the keyset cursor).</summary>
public static class AuditPaging
{
    /// <param name="after">The last event of this page: the next page starts after it in (time, id) order.</param>
    public static string Query(string path, string? action, Guid? workspace, Guid? user, AuditEvent? after)
    {
        var q = new List<string>();
        if (!string.IsNullOrWhiteSpace(action)) q.Add("action=" + Uri.EscapeDataString(action));
        if (workspace is { } w) q.Add("workspaceId=" + w);
        if (user is { } u) q.Add("userId=" + u);
        if (after is { } a)
        {
            q.Add("before=" + Uri.EscapeDataString(Ui.Format.Iso(a.At)));
            q.Add("beforeId=" + a.Id);
        }
        return q.Count == 0 ? path : path + "?" + string.Join('&', q);
    }
}

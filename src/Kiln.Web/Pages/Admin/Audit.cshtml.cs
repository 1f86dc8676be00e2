using Kiln.Core.Audit;
using Kiln.Web.Pages.Workspace;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Admin;

/// <summary>Every audit event of the installation, for operators: filter by workspace, user or action; CSV export.</summary>
public sealed class AuditModel(ListAuditEventsQuery audit) : KilnPageModel
{
    private const int PageSize = 100;
    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    [BindProperty(SupportsGet = true)] public Guid? WorkspaceId { get; set; }
    [BindProperty(SupportsGet = true)] public Guid? UserId { get; set; }
    [BindProperty(SupportsGet = true)] public DateTime? Before { get; set; }
    [BindProperty(SupportsGet = true)] public Guid? BeforeId { get; set; }
    public IReadOnlyList<AuditEventView> Rows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Rows = (await audit.ForOperator(Me.Caller, new AuditFilter(Before?.ToUniversalTime(), Action, UserId, WorkspaceId, PageSize, BeforeId), ct)).Value ?? [];

    public string Query(string path) => AuditPaging.Query(path, Action, WorkspaceId, UserId, null);

    public string? NextPage => Rows.Count == PageSize ? AuditPaging.Query("/admin/audit", Action, WorkspaceId, UserId, Rows[^1].Event) : null;
}

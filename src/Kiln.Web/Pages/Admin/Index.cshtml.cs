using System.ComponentModel.DataAnnotations;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Web.Queries;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Web.Pages.Admin;

/// <summary>The operator console. Non-operators get the 404 page from <see cref="Infrastructure.OperatorsOnly"/>, like every page in /Admin.</summary>
public sealed class IndexModel(AdminQueries admin, GrantCreditsCommand grant, AdjustCreditsCommand adjust, KilnDbContext db, RetryJobCommand retry,
    TenantScope tenant) : KilnPageModel
{
    public sealed class GrantInput
    {
        [Required(ErrorMessage = "Choose a workspace.")] public Guid? WorkspaceId { get; set; }
        [Required(ErrorMessage = "Enter an amount.")] public long? Amount { get; set; }
        public string Kind { get; set; } = "grant";
        public string? Reason { get; set; }
        public string? RequestId { get; set; }
    }

    [BindProperty] public GrantInput Grant { get; set; } = new();
    [BindProperty(SupportsGet = true)] public string? Search { get; set; }
    public IReadOnlyList<AdminUserRow> Users { get; private set; } = [];
    public IReadOnlyList<AdminWorkspaceRow> Workspaces { get; private set; } = [];
    public Dictionary<JobStatus, int> ByStatus { get; private set; } = [];
    public int QueueDepth { get; private set; }
    public IReadOnlyList<WorkerHeartbeat> Workers { get; private set; } = [];
    public IReadOnlyList<AdminJobRow> Failed { get; private set; } = [];
    public IReadOnlyList<JobsPerDay> PerDay { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(Guid? workspace, CancellationToken ct)
    {
        Grant.WorkspaceId = workspace;
        Grant.RequestId = Ids.New().ToString("N");
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostGrantAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            var isGrant = Grant.Kind != "adjustment";
            // The form's request id makes a double submit (or a browser retry) a no-op instead of a double grant.
            var request = new CreditMoveRequest(Grant.WorkspaceId!.Value, Grant.Amount!.Value, Grant.Reason, Grant.RequestId);
            var result = isGrant ? await grant.Run(Me.Caller, request, ct) : await adjust.Run(Me.Caller, request, ct);
            if (result.Error is { } e) ModelState.AddModelError(FieldOf(e), e.Message);
            else
            {
                TempData["Flash"] = $"{(isGrant ? "Granted" : "Adjusted by")} {Grant.Amount} credits. New balance: {result.Value!.PostedAfter}.";
                return Redirect("/admin");
            }
        }
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Runs a failed job again as a new job held against the job's own workspace (a double click creates one job).</summary>
    public async Task<IActionResult> OnPostRetryAsync(Guid jobId, CancellationToken ct)
    {
        var job = await db.Jobs.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct);
        if (job is null) return NotFoundPage();
        // Planning reads the job's uploads through the tenant filter; act as the job's workspace for this request only.
        tenant.WorkspaceId = job.WorkspaceId;
        var result = await retry.Run(null, jobId, Me.UserId, ct);
        TempData["Flash"] = result.Error is { } e ? $"Could not retry: {e.Message}" : $"Retry queued as job {result.Value!.Job.Id.ToString()[..8]}.";
        return Redirect("/admin#failed");
    }

    private static string FieldOf(Error e) => e.Code switch
    {
        "not_found" => "Grant.WorkspaceId",
        "reason_required" or "invalid_reason" => "Grant.Reason",
        "invalid_request_id" => "",
        _ => "Grant.Amount",
    };

    private async Task LoadAsync(CancellationToken ct)
    {
        Users = await admin.Users(Search, ct);
        Workspaces = await admin.Workspaces(ct);
        ByStatus = await admin.JobsByStatus(ct);
        QueueDepth = await admin.QueueDepth(ct);
        Workers = await admin.Workers(ct);
        Failed = (await admin.Jobs(JobStatus.Failed, null, null, 0, 10, ct)).Rows;
        PerDay = await admin.JobsPerDay(30, ct);
    }
}

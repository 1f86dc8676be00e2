using System.Text;
using Kiln.Core.Jobs;
using Kiln.Web.Queries;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Mvc;
using Kiln.Core.Common;

namespace Kiln.Web.Pages.Admin;

public sealed class JobsModel(AdminQueries admin, TimeProvider time) : KilnPageModel
{
    private const int PageSize = 50;
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? Pipeline { get; set; }
    [BindProperty(SupportsGet = true, Name = "workspace")] public Guid? WorkspaceFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "page")] public int PageNumber { get; set; } = 1;
    public IReadOnlyList<AdminJobRow> Rows { get; private set; } = [];
    public int Total { get; private set; }
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        PageNumber = Math.Max(1, PageNumber);
        (var rows, Total) = await admin.Jobs(ParsedStatus(), Pipeline, WorkspaceFilter, Kiln.Core.Common.Paging.Skip(PageNumber, PageSize), PageSize, ct);
        Rows = rows;
        return Page();
    }

    /// <summary>Job history as CSV, written in batches; capped at 100,000 rows.</summary>
    public async Task<IActionResult> OnGetCsvAsync(CancellationToken ct)
    {
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"kiln-jobs-{time.GetUtcNow():yyyyMMdd}.csv\"";
        await Response.WriteAsync(Csv.Line("id", "workspace_id", "workspace", "pipeline", "status", "attempt", "cost_estimate", "cost_actual",
            "created_at", "started_at", "finished_at", "error_code", "error_message"), Encoding.UTF8, ct);
        for (var skip = 0; skip < 100_000; skip += 500)
        {
            var (rows, _) = await admin.Jobs(ParsedStatus(), Pipeline, WorkspaceFilter, skip, 500, ct);
            var sb = new StringBuilder();
            foreach (var r in rows)
            {
                var j = r.Job;
                sb.Append(Csv.Line(j.Id, j.WorkspaceId, r.WorkspaceName, j.PipelineId, Format.Status(j.Status), j.Attempt, j.CostEstimate, j.CostActual,
                    Format.Iso(j.CreatedAt), j.StartedAt is { } s ? Format.Iso(s) : null, j.FinishedAt is { } f ? Format.Iso(f) : null, j.ErrorCode, j.ErrorMessage));
            }
            await Response.WriteAsync(sb.ToString(), Encoding.UTF8, ct);
            if (rows.Count < 500) break;
        }
        return new EmptyResult();
    }

    public JobStatus? ParsedStatus() =>
        EnumNames.TryParse<JobStatus>(Status, out var s) && Jobs.IndexModel.Statuses.Contains(Status) ? s : null;

    public string Query(int page, string? handler = null)
    {
        var parts = new List<string>();
        if (handler is not null) parts.Add("handler=" + handler);
        if (ParsedStatus() is { } s) parts.Add("status=" + Format.Status(s));
        if (!string.IsNullOrWhiteSpace(Pipeline)) parts.Add("pipeline=" + Uri.EscapeDataString(Pipeline));
        if (WorkspaceFilter is { } w) parts.Add("workspace=" + w);
        if (page > 1) parts.Add("page=" + page);
        return "/admin/jobs" + (parts.Count == 0 ? "" : "?" + string.Join('&', parts));
    }
}

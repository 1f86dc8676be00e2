using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Events;
using Microsoft.AspNetCore.Mvc;
using Kiln.Core.Common;

namespace Kiln.Web.Pages.Jobs;

public sealed class IndexModel(ListJobsQuery jobs, LiveEventsQuery live) : KilnPageModel
{
    public static readonly IReadOnlyList<string> Statuses = EnumNames.All<JobStatus>();

    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true, Name = "page")] public int PageNumber { get; set; } = 1;
    public JobPage Result { get; private set; } = new([], 1, 20, 0);
    /// <summary>Where the page's live updates start: read before the jobs, so nothing between render and connect is missed.</summary>
    public long EventsAfter { get; private set; }
    /// <summary>New jobs appear at the top of the first page of "All" and "queued" only.</summary>
    public bool ShowsNewJobs => PageNumber <= 1 && (Status is null || Status == "queued");
    public int Pages => Math.Max(1, (Result.Total + Result.PageSize - 1) / Result.PageSize);

    public async Task OnGetAsync(CancellationToken ct)
    {
        JobStatus? s = EnumNames.TryParse<JobStatus>(Status, out var parsed) && Statuses.Contains(Status) ? parsed : null;
        if (s is null) Status = null;
        EventsAfter = await live.LatestId(ct);
        Result = await jobs.Run(Workspace, s, null, PageNumber, 20, ct);
    }

    public string Link(string? status, int page) =>
        "/jobs" + (status is null && page == 1 ? "" : "?" + string.Join('&', new[] { status is null ? null : "status=" + status, page == 1 ? null : "page=" + page }.OfType<string>()));
}

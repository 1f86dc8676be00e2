using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Events;
using Kiln.Web.Queries;

namespace Kiln.Web.Pages.Dashboard;

public sealed class IndexModel(GetBalanceQuery balance, ListJobsQuery jobs, UsageQueries usage, LiveEventsQuery live) : KilnPageModel
{
    public Balance Balance { get; private set; } = new(0, 0, 0);
    public IReadOnlyList<Job> Recent { get; private set; } = [];
    public IReadOnlyList<DayValue> Usage { get; private set; } = [];
    /// <summary>Where the page's live updates start: read before the jobs, so nothing between render and connect is missed.</summary>
    public long EventsAfter { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        EventsAfter = await live.LatestId(ct);
        Balance = await balance.Run(Workspace, ct);
        Recent = (await jobs.Run(Workspace, null, null, 1, 8, ct)).Items;
        Usage = await usage.CreditsSpentPerDay(Workspace, 30, ct);
    }
}

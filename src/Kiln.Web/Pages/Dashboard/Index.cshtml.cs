using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Web.Queries;

namespace Kiln.Web.Pages.Dashboard;

public sealed class IndexModel(GetBalanceQuery balance, ListJobsQuery jobs, UsageQueries usage) : KilnPageModel
{
    public Balance Balance { get; private set; } = new(0, 0, 0);
    public IReadOnlyList<Job> Recent { get; private set; } = [];
    public IReadOnlyList<DayValue> Usage { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Balance = await balance.Run(Workspace, ct);
        Recent = (await jobs.Run(Workspace, null, null, 1, 8, ct)).Items;
        Usage = await usage.CreditsSpentPerDay(Workspace, 30, ct);
    }
}

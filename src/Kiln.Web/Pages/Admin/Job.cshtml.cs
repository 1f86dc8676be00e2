using Kiln.Core.Ai;
using Kiln.Web.Queries;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Admin;

/// <summary>Any workspace's job as an operator sees it: its state and what its attempts spent on AI providers.</summary>
public sealed class JobModel(AdminQueries admin, GetJobAiUsageQuery usage) : KilnPageModel
{
    public AdminJobRow Row { get; private set; } = null!;
    public IReadOnlyList<AiUsageLine> Usage { get; private set; } = [];
    public AiUsageLine? Total { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken ct)
    {
        if (await admin.Job(id, ct) is not { } row) return NotFoundPage();
        Row = row;
        Usage = await usage.Run(id, ct);
        Total = Usage.Count > 1 ? AiUsageLine.Sum(Usage, null, null) : null;
        return Page();
    }
}

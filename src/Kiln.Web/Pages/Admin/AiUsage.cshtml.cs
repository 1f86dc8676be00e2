using Kiln.Core.Ai;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Admin;

/// <summary>What all workspaces' jobs spent on AI providers over the last 30 days, per provider and per model.</summary>
public sealed class AiUsageModel(AiUsageByProviderQuery usage, TimeProvider time) : KilnPageModel
{
    public const int Days = 30;
    public IReadOnlyList<AiUsageLine> Models { get; private set; } = [];
    public IReadOnlyList<AiUsageLine> Providers { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Models = await usage.Run(time.GetUtcNow().UtcDateTime.AddDays(-Days), ct);
        Providers = Models.GroupBy(m => m.Provider, StringComparer.Ordinal).Select(g => AiUsageLine.Sum(g.ToList(), g.Key, "all")).ToList();
        return Page();
    }
}

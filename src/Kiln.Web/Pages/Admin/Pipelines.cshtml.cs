using Kiln.Core.Jobs;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.Command;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Admin;

/// <summary>One installed pipeline as an operator sees it: where it comes from, what it costs, and who can run it.</summary>
public sealed record AdminPipelineRow(PipelineDescriptor Descriptor, string Source, PriceList Prices, int TimeoutSeconds,
    IReadOnlyList<string> MissingTools, int LiveWorkers, string? Executable);

/// <summary>The pipeline catalog for operators: built-in and configured command pipelines, their prices in force, and
/// whether the tools they need are present here and on the live workers.</summary>
public sealed class PipelinesModel(PipelineCatalog catalog, LiveWorkersQuery workers) : KilnPageModel
{
    public IReadOnlyList<AdminPipelineRow> Rows { get; private set; } = [];
    public int Workers { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var live = await workers.Run(ct);
        Workers = live.Count;
        Rows = catalog.All.OrderBy(p => p.Descriptor.Name, StringComparer.Ordinal).Select(p =>
        {
            var d = p.Descriptor;
            return new AdminPipelineRow(d, p is CommandPipeline ? "command" : "built-in", catalog.Prices(p), catalog.TimeoutSeconds(p),
                (d.RequiredTools ?? []).Where(t => !WorkerCapabilities.ToolExists(t)).ToList(),
                LiveWorkersQuery.CanRun(live, d.Id),
                (p as CommandPipeline)?.Definition.Executable);
        }).ToList();
        return Page();
    }
}

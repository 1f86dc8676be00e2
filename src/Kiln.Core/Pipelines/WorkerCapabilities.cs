using Microsoft.Extensions.Logging;

namespace Kiln.Core.Pipelines;

/// <summary>
/// Which registered pipelines this process can run: those whose <see cref="PipelineDescriptor.RequiredTools"/> are all
/// present (an absolute path that exists, or a name found on PATH). Found once, at first use. The worker claims only
/// these and advertises them with its heartbeat, so a job for a pipeline no live worker can run waits in the queue
/// (and says so) instead of failing on a worker that lacks the tool.
/// </summary>
public sealed class WorkerCapabilities(PipelineCatalog catalog, ILogger<WorkerCapabilities> log)
{
    private readonly Lazy<IReadOnlyList<string>> _runnable = new(() => Find(catalog, log));

    /// <summary>Ids of the pipelines this process can run, sorted.</summary>
    public IReadOnlyList<string> Pipelines => _runnable.Value;

    private static List<string> Find(PipelineCatalog catalog, ILogger log)
    {
        var runnable = new List<string>();
        foreach (var pipeline in catalog.All)
        {
            var missing = (pipeline.Descriptor.RequiredTools ?? []).Where(t => !ToolExists(t)).ToList();
            if (missing.Count == 0) runnable.Add(pipeline.Descriptor.Id);
            else log.LogWarning("This worker cannot run {Pipeline}: {Tools} not found. Its jobs wait for a worker that can.",
                pipeline.Descriptor.Id, string.Join(", ", missing));
        }
        runnable.Sort(StringComparer.Ordinal);
        return runnable;
    }

    public static bool ToolExists(string tool)
    {
        if (Path.IsPathFullyQualified(tool)) return File.Exists(tool);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, tool)));
    }
}

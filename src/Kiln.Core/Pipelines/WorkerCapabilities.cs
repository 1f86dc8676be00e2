using Kiln.Core.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Pipelines;

/// <summary>
/// Which registered pipelines this process can run: those whose <see cref="PipelineDescriptor.RequiredTools"/> are all
/// present (an absolute path that exists, or a name found on PATH). Found once, at first use. The worker claims only
/// these and advertises them with its heartbeat, so a job for a pipeline no live worker can run waits in the queue
/// (and says so) instead of failing on a worker that lacks the tool.
/// </summary>
public sealed class WorkerCapabilities(PipelineCatalog catalog, ILogger<WorkerCapabilities> log, IOptions<WorkerOptions>? worker = null)
{
    private readonly Lazy<IReadOnlyList<string>> _runnable = new(() => Find(catalog, log));
    private IReadOnlyList<string>? _light;
    private int _heavyRunning;

    private int MaxHeavy => Math.Max(1, worker?.Value.MaxHeavyJobs ?? 1);

    /// <summary>Ids of the pipelines this process can run, sorted.</summary>
    public IReadOnlyList<string> Pipelines => _runnable.Value;

    /// <summary>What the next claim may take: every runnable pipeline, or only light ones while the heavy slots are busy.</summary>
    public IReadOnlyList<string> Claimable => Volatile.Read(ref _heavyRunning) >= MaxHeavy ? Light : _runnable.Value;

    // Derived from the one probe (a benign race may build it twice; both results are equal).
    private IReadOnlyList<string> Light => _light ??= _runnable.Value.Where(id => !IsHeavy(id)).ToList();

    public bool IsHeavy(string pipelineId) => catalog.Find(pipelineId)?.Descriptor.ResourceClass == ResourceClasses.Heavy;

    /// <summary>Takes a heavy slot; false when they are all busy (one claim can take several heavy jobs at once: the
    /// runner hands the extra ones back).</summary>
    public bool TryStartHeavy()
    {
        if (Interlocked.Increment(ref _heavyRunning) <= MaxHeavy) return true;
        Interlocked.Decrement(ref _heavyRunning);
        return false;
    }

    public void HeavyFinished() => Interlocked.Decrement(ref _heavyRunning);

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

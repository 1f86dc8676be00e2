using Microsoft.Extensions.Configuration;

namespace Kiln.Core.Pipelines;

/// <summary>All registered pipelines by id, with the operator's per-pipeline settings.</summary>
public sealed class PipelineCatalog(IEnumerable<IPipeline> pipelines, IConfiguration? configuration = null)
{
    private readonly Dictionary<string, IPipeline> _byId = pipelines.ToDictionary(p => p.Descriptor.Id, StringComparer.Ordinal);

    public IReadOnlyCollection<IPipeline> All => _byId.Values;

    public IPipeline? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// The run-time limit of a job of this pipeline: <c>Kiln:Pipelines:TimeoutSeconds:{id}</c> when the operator set
    /// one, else the pipeline's default. A job over its limit is stopped (child processes killed) and fails.
    /// </summary>
    public int TimeoutSeconds(IPipeline pipeline) =>
        configuration?.GetValue<int?>($"Kiln:Pipelines:TimeoutSeconds:{pipeline.Descriptor.Id}") is > 0 and var seconds
            ? seconds
            : pipeline.Descriptor.DefaultTimeoutSeconds;
}

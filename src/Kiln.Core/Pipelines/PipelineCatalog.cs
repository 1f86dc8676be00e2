namespace Kiln.Core.Pipelines;

/// <summary>All registered pipelines by id.</summary>
public sealed class PipelineCatalog(IEnumerable<IPipeline> pipelines)
{
    private readonly Dictionary<string, IPipeline> _byId = pipelines.ToDictionary(p => p.Descriptor.Id, StringComparer.Ordinal);

    public IReadOnlyCollection<IPipeline> All => _byId.Values;

    public IPipeline? Find(string id) => _byId.GetValueOrDefault(id);
}

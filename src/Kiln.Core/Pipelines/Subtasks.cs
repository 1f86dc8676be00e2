namespace Kiln.Core.Pipelines;

/// <summary>
/// Parts of one job that progress, cost and fail on their own (dubbing's languages). A pipeline reports each part's
/// stage, progress, cost and artifacts; the platform keeps them as rows under the job (<c>GET /api/jobs/{id}</c>
/// <c>subtasks</c>), streams every change to the job page, and the pipeline returns the cost of the parts that succeeded
/// as <see cref="PipelineOutcome.ActualCost"/>, so the hold is captured for those and released for the rest, once.
/// </summary>
public interface ISubtaskReporter
{
    /// <summary>Creates or updates the subtask <paramref name="update"/>.Key of this job.</summary>
    Task ReportAsync(SubtaskUpdate update, CancellationToken ct);

    /// <summary>The subtasks stored for this job so far (from earlier attempts too), by key.</summary>
    Task<IReadOnlyDictionary<string, SubtaskUpdate>> ExistingAsync(CancellationToken ct);
}

public static class SubtaskStages
{
    public const string Queued = "queued";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <param name="Key">Unique within the job (a language code).</param>
/// <param name="Label">Shown to users ("Spanish").</param>
/// <param name="Stage">Pipeline-defined stage; <see cref="SubtaskStages.Done"/> and <see cref="SubtaskStages.Failed"/> are final.</param>
/// <param name="Progress">0–100 within this subtask.</param>
/// <param name="Cost">Credits this subtask costs (its estimate line), charged only when it is done.</param>
/// <param name="Artifacts">Names of the job artifacts that belong to it.</param>
public sealed record SubtaskUpdate(string Key, string Label, string Stage, int Progress, long Cost, string? Error = null,
    IReadOnlyList<string>? Artifacts = null, DateTime? StartedAt = null, DateTime? FinishedAt = null)
{
    public bool IsFinal => Stage is SubtaskStages.Done or SubtaskStages.Failed;
}

public sealed class NoSubtasks : ISubtaskReporter
{
    public static readonly NoSubtasks Instance = new();
    public Task ReportAsync(SubtaskUpdate update, CancellationToken ct) => Task.CompletedTask;
    public Task<IReadOnlyDictionary<string, SubtaskUpdate>> ExistingAsync(CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, SubtaskUpdate>>(new Dictionary<string, SubtaskUpdate>());
}

/// <summary>Subtasks kept in memory (for <c>kiln run</c> and tests).</summary>
public sealed class InMemorySubtasks : ISubtaskReporter
{
    private readonly Dictionary<string, SubtaskUpdate> _items = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public IReadOnlyList<SubtaskUpdate> Snapshot() { lock (_lock) return _items.Values.ToList(); }

    public Task ReportAsync(SubtaskUpdate update, CancellationToken ct)
    {
        lock (_lock) _items[update.Key] = update;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, SubtaskUpdate>> ExistingAsync(CancellationToken ct)
    {
        lock (_lock) return Task.FromResult<IReadOnlyDictionary<string, SubtaskUpdate>>(new Dictionary<string, SubtaskUpdate>(_items));
    }
}

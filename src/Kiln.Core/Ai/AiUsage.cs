using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Ai;

/// <summary>One answered call: who answered, the tokens it reported and what it cost by the configured prices.</summary>
/// <param name="EstimatedCost">Null when no price is configured for the model; zero for an answer served from the cache.</param>
public sealed record AiUsageRecord(
    string Provider, string Model, long InputTokens, long OutputTokens, decimal? EstimatedCost, bool Cached,
    TimeSpan Duration, DateTimeOffset At);

/// <summary>Totals over a set of <see cref="AiUsageRecord"/>s.</summary>
public sealed record AiUsageTotals(int Calls, int CachedCalls, long InputTokens, long OutputTokens, decimal EstimatedCost, bool CostIncomplete)
{
    public static readonly AiUsageTotals Empty = new(0, 0, 0, 0, 0m, false);

    public static AiUsageTotals Of(IEnumerable<AiUsageRecord> records) => records.Aggregate(Empty, (t, r) => new(
        t.Calls + 1, t.CachedCalls + (r.Cached ? 1 : 0), t.InputTokens + r.InputTokens, t.OutputTokens + r.OutputTokens,
        t.EstimatedCost + (r.EstimatedCost ?? 0m), t.CostIncomplete || r.EstimatedCost is null));
}

/// <summary>Receives every answered call of every provider (see <see cref="UsageRecordingChatClient"/>).</summary>
public interface IAiUsageSink
{
    void Record(AiUsageRecord record);
}

/// <summary>
/// Collects the AI usage of one unit of work — a job attempt — across the async flow that runs it:
/// <code>
/// using var usage = AiUsageScope.Begin();
/// await PipelineHost.RunAsync(pipeline, context, ct);
/// var totals = usage.Totals;            // calls, tokens in/out, estimated cost
/// var lines = usage.ByModel();          // per provider and model
/// </code>
/// Calls made anywhere below <see cref="Begin"/> on the same async flow (awaits, Task.Run, parallel steps) are
/// recorded into it, and into every enclosing scope. Thread-safe. Disposing ends the scope for the flow.
/// </summary>
public sealed class AiUsageScope : IDisposable
{
    private static readonly AsyncLocal<AiUsageScope?> CurrentSlot = new();
    private readonly List<AiUsageRecord> _records = [];
    private readonly AiUsageScope? _parent;
    /// <summary>The scope that was current before this one, restored on dispose (the parent, unless this is a root).</summary>
    private readonly AiUsageScope? _previous;
    private bool _disposed;

    private AiUsageScope(AiUsageScope? parent, AiUsageScope? previous) => (_parent, _previous) = (parent, previous);

    /// <summary>The innermost open scope of this async flow, if any.</summary>
    public static AiUsageScope? Current => CurrentSlot.Value;

    /// <summary>Opens a scope for the current async flow (nested inside any open one).</summary>
    public static AiUsageScope Begin()
    {
        var scope = new AiUsageScope(CurrentSlot.Value, CurrentSlot.Value);
        CurrentSlot.Value = scope;
        return scope;
    }

    /// <summary>Opens a scope that reports to no enclosing one: a unit of work of its own (a job attempt), even when the flow
    /// that starts it belongs to another (a worker slot handed on to the next job inherits the previous job's flow).</summary>
    public static AiUsageScope BeginRoot()
    {
        var scope = new AiUsageScope(null, CurrentSlot.Value);
        CurrentSlot.Value = scope;
        return scope;
    }

    public IReadOnlyList<AiUsageRecord> Records
    {
        get { lock (_records) return [.. _records]; }
    }

    public AiUsageTotals Totals => AiUsageTotals.Of(Records);

    /// <summary>Totals per provider and model, for a per-job breakdown.</summary>
    public IReadOnlyDictionary<(string Provider, string Model), AiUsageTotals> ByModel() =>
        Records.GroupBy(r => (r.Provider, r.Model)).ToDictionary(g => g.Key, g => AiUsageTotals.Of(g));

    internal void Add(AiUsageRecord record)
    {
        for (var scope = this; scope is not null; scope = scope._parent)
            if (!scope._disposed) lock (scope._records) scope._records.Add(record);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (ReferenceEquals(CurrentSlot.Value, this)) CurrentSlot.Value = _previous;
    }
}

/// <summary>
/// The default sink: adds each record to the open <see cref="AiUsageScope"/> of the calling flow and keeps running
/// totals per provider and model for the process (for a status page; they reset on restart).
/// </summary>
public sealed class AiUsageAccumulator : IAiUsageSink
{
    private readonly Dictionary<(string Provider, string Model), AiUsageTotals> _totals = [];

    public void Record(AiUsageRecord record)
    {
        AiUsageScope.Current?.Add(record);
        lock (_totals)
        {
            var key = (record.Provider, record.Model);
            var t = _totals.GetValueOrDefault(key) ?? AiUsageTotals.Empty;
            _totals[key] = t with
            {
                Calls = t.Calls + 1, CachedCalls = t.CachedCalls + (record.Cached ? 1 : 0),
                InputTokens = t.InputTokens + record.InputTokens, OutputTokens = t.OutputTokens + record.OutputTokens,
                EstimatedCost = t.EstimatedCost + (record.EstimatedCost ?? 0m), CostIncomplete = t.CostIncomplete || record.EstimatedCost is null,
            };
        }
    }

    /// <summary>Since the process started, per provider and model.</summary>
    public IReadOnlyDictionary<(string Provider, string Model), AiUsageTotals> Totals
    {
        get { lock (_totals) return new Dictionary<(string, string), AiUsageTotals>(_totals); }
    }
}

/// <summary>
/// Records <see cref="UsageDetails"/> of each answered call to an <see cref="IAiUsageSink"/>, with the cost
/// estimated from the provider's configured price of the model (an answer from the cache costs nothing).
/// </summary>
public sealed class UsageRecordingChatClient(IChatClient inner, IAiUsageSink sink, string provider, string model,
    Func<string, AiModelPrice?> priceOf, TimeProvider? time = null) : DelegatingChatClient(inner)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var response = await base.GetResponseAsync(messages, options, cancellationToken);
        var cached = response.AdditionalProperties?.TryGetValue(CachingAiChatClient.CachedProperty, out var c) == true && c is true;
        Record(response.ModelId, response.Usage, cached, Stopwatch.GetElapsedTime(started));
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        UsageDetails? usage = null;
        string? modelId = null;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            modelId ??= update.ModelId;
            foreach (var u in update.Contents.OfType<UsageContent>())
                (usage ??= new UsageDetails()).Add(u.Details);
            yield return update;
        }
        Record(modelId, usage, cached: false, Stopwatch.GetElapsedTime(started));
    }

    private void Record(string? answeredModel, UsageDetails? usage, bool cached, TimeSpan duration)
    {
        long input = usage?.InputTokenCount ?? 0, output = usage?.OutputTokenCount ?? 0;
        // Providers answer with dated names (gpt-4o-mini-2024-07-18): the price of the configured name applies then.
        var price = (answeredModel is null ? null : priceOf(answeredModel)) ?? priceOf(model);
        decimal? cost = cached ? 0m : price?.CostOf(input, output);
        sink.Record(new AiUsageRecord(provider, model, input, output, cost, cached, duration, _time.GetUtcNow()));
    }
}

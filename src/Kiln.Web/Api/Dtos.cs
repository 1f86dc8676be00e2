using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;

namespace Kiln.Web.Api;

public sealed record JobDto(
    Guid Id, string Pipeline, string Status, int Priority, int Attempt, int MaxAttempts,
    int Progress, string? Step, string? Message, long CostEstimate, long? CostActual,
    string? ErrorCode, string? ErrorMessage, JsonElement Options, IReadOnlyList<Guid> Uploads,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, bool CancelRequested)
{
    /// <summary>For a queued job that no live worker can run: what it is waiting for.</summary>
    public string? WaitingFor { get; init; }

    /// <summary>Parts of the job that progress, cost and fail on their own (dubbing: one per language); empty for other jobs.</summary>
    public IReadOnlyList<SubtaskDto> Subtasks { get; init; } = [];
    /// <summary>How many languages the job dubs (its subtasks), and how many are done.</summary>
    public int? TotalLanguages { get; init; }
    public int? CompletedLanguages { get; init; }
    /// <summary>When a running job should finish, judged from its progress so far.</summary>
    public DateTime? EstimatedCompletion { get; init; }
    /// <summary>When the pipeline's own retention deletes the job's files (dubbing: 48 h after it finished); null when only the plan's applies.</summary>
    public DateTime? OutputsExpireAt { get; init; }

    public JobDto WithSubtasks(IReadOnlyList<JobSubtask> subtasks) => this with
    {
        Subtasks = subtasks.Select(SubtaskDto.From).ToList(),
        TotalLanguages = subtasks.Count == 0 ? null : subtasks.Count,
        CompletedLanguages = subtasks.Count == 0 ? null : subtasks.Count(s => s.Stage == Kiln.Core.Pipelines.SubtaskStages.Done),
    };

    public static JobDto From(Job j) => new(
        j.Id, j.PipelineId, j.Status.WireName(), j.Priority, j.Attempt, j.MaxAttempts, j.ProgressPercent, j.ProgressStep,
        j.ProgressMessage, j.CostEstimate, j.CostActual, j.ErrorCode, j.ErrorMessage,
        JsonDocument.Parse(j.OptionsJson).RootElement.Clone(), JobInput.Parse(j.InputsJson).Select(i => i.UploadId).ToList(),
        j.CreatedAt, j.StartedAt, j.FinishedAt, j.CancelRequested);
}

/// <param name="Stage">queued, transcribing, translating, synthesizing, mixing, exporting, done or failed.</param>
/// <param name="Cost">Credits this language costs; charged only when it is done.</param>
/// <param name="Artifacts">Names of the job's artifacts that belong to this language.</param>
public sealed record SubtaskDto(string LanguageCode, string LanguageName, string Stage, int Progress, long Cost, string? Error,
    IReadOnlyList<string> Artifacts, DateTime? StartedAt, DateTime? FinishedAt)
{
    public static SubtaskDto From(JobSubtask s) => new(s.Key, s.Label, s.Stage, s.Progress, s.Cost, s.Error, s.ArtifactNames, s.StartedAt, s.FinishedAt);
}

/// <summary>A single-use download link: <paramref name="Url"/> works once, until <paramref name="ExpiresAt"/>; it is not shown again.</summary>
public sealed record SingleUseLinkDto(Guid Id, string Url, DateTime ExpiresAt);

public sealed record ArtifactDto(Guid Id, string Name, string ContentType, long Size, string Sha256, DateTime CreatedAt, string DownloadUrl);

/// <param name="Lines">How the estimate is made: quantity × unit price per line, each rounded up to whole credits.</param>
/// <param name="MinimumApplied">The pipeline's minimum charge, when it raised the total.</param>
public sealed record EstimateDto(string Pipeline, long EstimatedCost, long Available, long AvailableAfter, bool Affordable, JsonElement Options,
    IReadOnlyList<PriceLineDto> Lines, long? MinimumApplied);

public sealed record PriceLineDto(string Meter, string Label, decimal Quantity, decimal UnitPrice, long Credits);

public sealed record BalanceDto(long Balance, long Held, long Available);

public sealed record LedgerEntryDto(long Id, string Kind, long Amount, long HeldDelta, long BalanceAfter, long HeldAfter, Guid? JobId, string? Reason, DateTime CreatedAt)
{
    public static LedgerEntryDto From(LedgerEntry e) => new(e.Id, e.Kind.WireName(), e.PostedDelta, e.HeldDelta, e.PostedAfter, e.HeldAfter, e.JobId, e.Reason, e.CreatedAt);
}

public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

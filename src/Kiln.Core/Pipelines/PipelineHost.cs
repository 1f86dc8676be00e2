using System.Net;
using Kiln.Core.Media;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Pipelines;

/// <summary>
/// Runs a pipeline for the worker and for <c>kiln run</c> alike, and turns tool and provider failures into
/// <see cref="PipelineException"/>s by their type: a missing tool or a rejected request is permanent; a tool timeout,
/// an HTTP 429/5xx or a provider that does not answer is transient (retried with backoff).
/// </summary>
public static class PipelineHost
{
    public static async Task<PipelineOutcome> RunAsync(IPipeline pipeline, PipelineContext context, CancellationToken ct)
    {
        // Every AI call below is counted for this attempt: the job log says what the providers were paid.
        using var usage = Ai.AiUsageScope.Begin();
        try
        {
            return await pipeline.RunAsync(context, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Classify(ex) is { } mapped)
        {
            throw mapped;
        }
        finally
        {
            await ReportUsageAsync(context, usage.Totals);
        }
    }

    private static async Task ReportUsageAsync(PipelineContext context, Ai.AiUsageTotals t)
    {
        if (t.Calls == 0) return;
        var cost = t.EstimatedCost > 0 || !t.CostIncomplete
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", estimated provider cost {t.EstimatedCost:0.####}{(t.CostIncomplete ? " (some models have no price configured)" : "")}")
            : " (no provider prices configured)";
        var line = $"AI usage: {t.Calls} call(s), {t.CachedCalls} from cache, {t.InputTokens} input and {t.OutputTokens} output tokens{cost}.";
        context.Logger.LogInformation("Job {JobId} {Usage}", context.JobId, line);
        try { await context.Reporter.LogAsync(line, CancellationToken.None); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { context.Logger.LogWarning(ex, "Could not log the AI usage of job {JobId}", context.JobId); }
    }

    /// <summary>The user-facing failure for an exception, or null for pipeline failures and bugs (left as they are).</summary>
    public static PipelineException? Classify(Exception ex) => ex switch
    {
        PipelineException => null,
        Media.Speech.NoSpeechFoundException n => new("no_speech", n.Message, inner: ex),
        Media.Speech.CaptionFormatException c => new("invalid_subtitles", c.Message, inner: ex),
        Storage.BlobStoreUnavailableException => new(Jobs.Queue.JobQueue.StorageUnavailable, "Kiln's file storage could not be reached; the job continues when it is back.", transient: true, inner: ex),
        ToolNotFoundException t => new("tool_missing", $"The server cannot run this job: {t.Message}", inner: ex),
        ToolTimeoutException t => new("tool_timeout", $"Processing took too long ({t.Tool}).", transient: true, inner: ex),
        ToolFailedException t => new("tool_failed", $"Producing the output failed ({t.Tool}).", transient: t.Transient, inner: ex),
        HttpRequestException h => Http(h.StatusCode, ex),
        TimeoutException or TaskCanceledException => new("provider_timeout", "An external service did not answer in time; the job will be retried.", transient: true, inner: ex),
        System.ClientModel.ClientResultException c => Http(c.Status == 0 ? null : (HttpStatusCode)c.Status, ex),
        _ => null,
    };

    private static PipelineException Http(HttpStatusCode? status, Exception ex) => status switch
    {
        null => new("provider_unavailable", "An external service could not be reached; the job will be retried.", transient: true, inner: ex),
        HttpStatusCode.TooManyRequests => new("provider_busy", "An external service is rate-limiting us; the job will be retried.", transient: true, inner: ex),
        >= HttpStatusCode.InternalServerError => new("provider_unavailable", $"An external service failed ({(int)status}); the job will be retried.", transient: true, inner: ex),
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new("provider_rejected", "An external service refused the server's credentials. The operators have been told.", inner: ex),
        _ => new("provider_rejected", $"An external service refused the request ({(int)status}).", inner: ex),
    };
}

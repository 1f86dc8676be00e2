using System.Text.Json;
using Kiln.Core.Jobs;

namespace Kiln.Core.Webhooks;

/// <summary>The Standard Webhooks envelope <c>{type, timestamp, data}</c> and the job data API users need.</summary>
public static class WebhookPayloads
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string NewMessageId() => "msg_" + Guid.CreateVersion7().ToString("N");

    public static string Serialize(string type, DateTime timestamp, object data) =>
        JsonSerializer.Serialize(new { type, timestamp = DateTime.SpecifyKind(timestamp, DateTimeKind.Utc), data }, Json);

    /// <summary>
    /// What a job event says: <paramref name="status"/> is the status the event reports (the job row may have moved on),
    /// the rest is read from the job when the event fans out. Links are relative unless a public base URL is configured.
    /// </summary>
    public static object JobData(Job job, string status, string? errorCode, string? errorMessage, string? publicBaseUrl)
    {
        var root = string.IsNullOrWhiteSpace(publicBaseUrl) ? "" : publicBaseUrl.TrimEnd('/');
        var finished = status is "succeeded" or "failed" or "canceled";
        return new
        {
            jobId = job.Id,
            pipeline = job.PipelineId,
            status,
            attempt = job.Attempt,
            costEstimate = job.CostEstimate,
            costActual = status == "succeeded" ? job.CostActual : null,
            errorCode = status == "failed" ? errorCode ?? job.ErrorCode : null,
            errorMessage = status == "failed" ? errorMessage ?? job.ErrorMessage : null,
            createdAt = job.CreatedAt,
            startedAt = job.StartedAt,
            finishedAt = finished ? job.FinishedAt : null,
            links = new { job = $"{root}/api/jobs/{job.Id}", artifacts = $"{root}/api/jobs/{job.Id}/artifacts" },
        };
    }
}

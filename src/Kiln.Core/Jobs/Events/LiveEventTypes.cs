using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kiln.Core.Jobs.Events;

/// <summary>The event names of <c>GET /api/events</c> and how the job event log maps onto them.</summary>
public static class LiveEventTypes
{
    public const string JobQueued = "job.queued";
    public const string JobProgress = "job.progress";
    public const string JobSucceeded = "job.succeeded";
    public const string JobFailed = "job.failed";
    public const string JobCanceled = "job.canceled";
    public const string CreditsChanged = "credits.changed";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The workspace-stream event for a job event, or null when it has none. Data: the log entry's own fields (percent,
    /// step, message, code, retry, …) plus the job's id, pipeline, status and cost, so a list can add a row it has never seen.
    /// </summary>
    public static (string Type, string Data)? Map(WorkspaceJobEvent e)
    {
        JsonObject data;
        try { data = JsonNode.Parse(e.DataJson) as JsonObject ?? []; }
        catch (JsonException) { data = []; }
        var status = e.Type == JobEventTypes.Progress ? "running" : (string?)data["status"];
        var type = status switch
        {
            "running" => JobProgress,
            "queued" => JobQueued,
            "succeeded" => JobSucceeded,
            "failed" => JobFailed,
            "canceled" => JobCanceled,
            _ => null,
        };
        if (type is null) return null;
        data["status"] = status;
        data["jobId"] = e.JobId;
        data["pipeline"] = e.PipelineId;
        data["cost"] = e.CostActual ?? e.CostEstimate;
        data["createdAt"] = DateTime.SpecifyKind(e.JobCreatedAt, DateTimeKind.Utc);
        data["at"] = DateTime.SpecifyKind(e.CreatedAt, DateTimeKind.Utc);
        return (type, data.ToJsonString(Json));
    }

    public static string CreditsData(Credits.Balance b) => JsonSerializer.Serialize(new { posted = b.Posted, held = b.Held, available = b.Available }, Json);
}

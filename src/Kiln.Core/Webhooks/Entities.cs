namespace Kiln.Core.Webhooks;

/// <summary>The event types a webhook endpoint can subscribe to, plus the test event that is always allowed.</summary>
public static class WebhookEventTypes
{
    public const string JobStarted = "job.started";
    public const string JobSucceeded = "job.succeeded";
    public const string JobFailed = "job.failed";
    public const string JobCanceled = "job.canceled";
    public const string Test = "webhook.test";

    /// <summary>What an endpoint can subscribe to, in the order the UI lists them.</summary>
    public static readonly IReadOnlyList<string> Subscribable = [JobSucceeded, JobFailed, JobCanceled, JobStarted];
}

/// <summary>A workspace's HTTPS endpoint that receives signed job events.</summary>
public sealed class WebhookEndpoint
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Url { get; set; }
    public string? Description { get; set; }
    /// <summary>The Standard Webhooks signing secret (<c>whsec_…</c>). It must be kept to sign; the API shows it once.</summary>
    public required string Secret { get; set; }
    /// <summary>Subscribed event types, space-separated (<see cref="WebhookEventTypes.Subscribable"/>).</summary>
    public required string EventTypes { get; set; }
    public bool Enabled { get; set; } = true;
    /// <summary>Why the endpoint was disabled automatically (failing too long, 410 Gone), or null.</summary>
    public string? DisabledReason { get; set; }
    /// <summary>Start of the current run of failed attempts; cleared by any success.</summary>
    public DateTime? FailingSince { get; set; }
    public DateTime CreatedAt { get; set; }

    public IReadOnlyList<string> EventTypeList => EventTypes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    public bool Subscribes(string type) => type == WebhookEventTypes.Test || EventTypeList.Contains(type);
}

public enum WebhookDeliveryStatus { Pending = 0, Sending = 1, Succeeded = 2, Failed = 3 }

/// <summary>
/// One message to one endpoint, with its retry state. (endpoint, event key) is unique, so a job event fans out to an
/// endpoint once however many processes scan the event log.
/// </summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; set; }
    public Guid EndpointId { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string EventType { get; set; }
    /// <summary>What makes the fan-out idempotent: <c>event:{job event id}</c>, <c>started:{job}:{attempt}</c>, <c>test:{id}</c>.</summary>
    public required string EventKey { get; set; }
    /// <summary>The <c>webhook-id</c> header (<c>msg_…</c>): the same on every attempt, so receivers can deduplicate.</summary>
    public required string MessageId { get; set; }
    public required string Payload { get; set; }
    public Guid? JobId { get; set; }
    public WebhookDeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    /// <summary>A claimed delivery whose sender died becomes claimable again after this.</summary>
    public DateTime? LockedUntil { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastAttemptAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
}

/// <summary>How far a scanner has read an ordered log (the job event log for the webhook fan-out).</summary>
public sealed class WebhookCursor
{
    public required string Name { get; set; }
    /// <summary>Every event up to this id has been seen and is old enough that no earlier id can still commit.</summary>
    public long Position { get; set; }
    public DateTime UpdatedAt { get; set; }
}

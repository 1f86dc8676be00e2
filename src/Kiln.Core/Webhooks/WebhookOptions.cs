using System.Globalization;

namespace Kiln.Core.Webhooks;

/// <summary><c>Kiln:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    /// <summary>Accept <c>http://</c> endpoint URLs (development and tests). Production endpoints are HTTPS only.</summary>
    public bool AllowHttp { get; set; }
    /// <summary>
    /// Lets endpoints on loopback, private and link-local addresses receive webhooks (tests, on-premises receivers).
    /// Off by default: a workspace could otherwise make Kiln POST to internal services (SSRF).
    /// </summary>
    public bool AllowPrivateUrls { get; set; }
    /// <summary>Attempts before a delivery is failed for good (the first attempt counts).</summary>
    public int MaxAttempts { get; set; } = 8;
    /// <summary>Delays before the 2nd, 3rd, … attempt, in seconds, comma-separated; the last one repeats.</summary>
    public string RetrySchedule { get; set; } = "5,300,1800,7200,18000,36000";
    /// <summary>An endpoint whose deliveries have failed without a single success for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);
    /// <summary>How often the event log and the delivery queue are polled when idle.</summary>
    public double PollSeconds { get; set; } = 1;
    /// <summary>
    /// Events younger than this are read again on every pass: identity ids are handed out before commit, so a slow
    /// transaction can make an earlier id visible after a later one.
    /// </summary>
    public double RescanSeconds { get; set; } = 30;
    /// <summary>When set, the links in event data are absolute (<c>https://kiln.example.com/api/jobs/…</c>).</summary>
    public string? PublicBaseUrl { get; set; }
    /// <summary>Endpoints per workspace.</summary>
    public int MaxEndpointsPerWorkspace { get; set; } = 20;

    /// <summary>The delay before the next attempt after <paramref name="attempts"/> attempts (Standard Webhooks schedule by default).</summary>
    public TimeSpan DelayAfter(int attempts)
    {
        var steps = RetrySchedule.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        if (steps.Length == 0) return TimeSpan.Zero;
        return TimeSpan.FromSeconds(steps[Math.Clamp(attempts - 1, 0, steps.Length - 1)]);
    }
}

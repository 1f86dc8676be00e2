namespace Kiln.Web.Infrastructure;

/// <summary>Bound from <c>Kiln:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Kiln:RateLimit";

    /// <summary>API requests per user or workspace per minute, counted in each web process (429 with <c>Retry-After</c> beyond it).</summary>
    public int PermitsPerMinute { get; set; } = 600;

    // The limits below are counted in the database (rate_limit_counters), so they hold across every web process.

    /// <summary>Sign-in, sign-up and token refresh attempts per client IP per minute, each counted on its own.</summary>
    public int AuthPerMinute { get; set; } = 10;
    /// <summary>Accounts one client IP may create per hour (the free grant is the prize; see docs/security.md).</summary>
    public int SignUpsPerIpPerHour { get; set; } = 5;
    /// <summary>Wrong passwords for one account from one IP per 15 minutes before that pair gets 429 (other IPs are unaffected).</summary>
    public int SignInFailuresPerAccountAndIp { get; set; } = 10;
    /// <summary>Wrong passwords for one account from anywhere per 15 minutes before every attempt on it is slowed (never refused).</summary>
    public int SignInFailuresBeforeSlowdown { get; set; } = 10;
    /// <summary>The longest delay a slowed sign-in waits, in seconds; each further failure adds half a second.</summary>
    public double SignInSlowdownMaxSeconds { get; set; } = 5;
    /// <summary>Uploads started (files and links) per workspace per minute.</summary>
    public int UploadsPerMinute { get; set; } = 20;
    /// <summary>Job management calls (create, cancel, retry, delete) per workspace per minute.</summary>
    public int JobsPerMinute { get; set; } = 50;
    /// <summary>Signed <c>/blobs</c> downloads, and uploads whose signature is refused, per client IP per minute.</summary>
    public int BlobsPerMinute { get; set; } = 600;
    /// <summary>Payment provider webhook deliveries per client IP per minute.</summary>
    public int WebhooksPerMinute { get; set; } = 300;

    public static RateLimitOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
}

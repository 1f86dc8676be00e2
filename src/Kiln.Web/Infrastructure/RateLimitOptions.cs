namespace Kiln.Web.Infrastructure;

/// <summary>Bound from <c>Kiln:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Kiln:RateLimit";

    /// <summary>API requests per user or workspace per minute (429 with <c>Retry-After</c> beyond it).</summary>
    public int PermitsPerMinute { get; set; } = 600;

    public static RateLimitOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
}

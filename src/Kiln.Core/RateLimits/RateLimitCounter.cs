using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.RateLimits;

/// <summary>One fixed window of one limit key (<c>signin:ip:203.0.113.7</c>): how many hits it has taken so far.</summary>
public sealed class RateLimitCounter
{
    public required string Key { get; set; }
    /// <summary>Unix seconds at which the window starts.</summary>
    public long WindowStart { get; set; }
    public int Count { get; set; }
}

internal sealed class RateLimitCounterConfiguration : IEntityTypeConfiguration<RateLimitCounter>
{
    public void Configure(EntityTypeBuilder<RateLimitCounter> b)
    {
        b.ToTable("rate_limit_counters");
        b.HasKey(x => new { x.Key, x.WindowStart });
        b.Property(x => x.Key).HasMaxLength(200);
        b.HasIndex(x => x.WindowStart);
    }
}

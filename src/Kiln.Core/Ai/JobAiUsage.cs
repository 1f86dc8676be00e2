using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Ai;

/// <summary>
/// What one attempt of a job spent on one provider's model: calls, cache hits, tokens and the provider cost estimated
/// from the operator's configured prices. Written by the worker when the attempt ends (success or failure); one row
/// per (job, attempt, provider, model), so a retried attempt adds rows rather than overwriting.
/// </summary>
public sealed class JobAiUsage
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public Guid WorkspaceId { get; set; }
    public int Attempt { get; set; }
    public required string Provider { get; set; }
    public required string Model { get; set; }
    public int Calls { get; set; }
    public int CachedCalls { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    /// <summary>The estimated cost in millionths of the price unit (integers sum exactly on SQLite and PostgreSQL alike).</summary>
    public long EstimatedCostMicros { get; set; }
    /// <summary>True when some calls had no configured price, so the estimate is a lower bound.</summary>
    public bool CostIncomplete { get; set; }
    public DateTime CreatedAt { get; set; }

    public decimal EstimatedCost => EstimatedCostMicros / 1_000_000m;

    public static long ToMicros(decimal cost) => (long)Math.Round(cost * 1_000_000m, MidpointRounding.AwayFromZero);
}

internal sealed class JobAiUsageConfiguration : IEntityTypeConfiguration<JobAiUsage>
{
    public void Configure(EntityTypeBuilder<JobAiUsage> b)
    {
        b.ToTable("job_ai_usage");
        b.Property(x => x.Provider).HasMaxLength(100);
        b.Property(x => x.Model).HasMaxLength(200);
        b.Ignore(x => x.EstimatedCost);
        b.HasIndex(x => new { x.JobId, x.Attempt, x.Provider, x.Model }).IsUnique();
        b.HasIndex(x => x.CreatedAt);
    }
}

namespace Kiln.Core.Pipelines;

/// <summary>
/// Unit prices in credits per meter (e.g. <c>page</c> = 0.2, <c>audioMinute</c> = 1), a per-job fee and a minimum.
/// A pipeline declares its defaults; <c>Kiln:Pipelines:{id}:Pricing</c> overrides any of them.
/// </summary>
public sealed record PriceList(IReadOnlyDictionary<string, decimal> Units, decimal PerJob = 0, long Minimum = 0)
{
    public static readonly PriceList Free = new(new Dictionary<string, decimal>());

    public PriceList With(PricingSettings? overrides)
    {
        if (overrides is null) return this;
        var units = new Dictionary<string, decimal>(Units, StringComparer.Ordinal);
        foreach (var (meter, price) in overrides.Units) units[meter] = price;
        return new PriceList(units, overrides.PerJob ?? PerJob, overrides.Minimum ?? Minimum);
    }

    /// <summary>
    /// Prices the usage: each line is rounded up to whole credits on its own (so "one credit per started block of five
    /// pages" is <c>page = 0.2</c>), the per-job fee added, the minimum applied.
    /// </summary>
    public PriceEstimate Price(IReadOnlyList<Usage> usage)
    {
        var lines = new List<PriceLine>();
        foreach (var u in usage)
        {
            if (!Units.TryGetValue(u.Meter, out var unit))
                throw new InvalidOperationException($"The meter '{u.Meter}' has no price; add Pricing:Units:{u.Meter} to the pipeline's settings.");
            lines.Add(new PriceLine(u.Meter, u.Label, u.Quantity, unit, (long)Math.Ceiling(u.Quantity * unit)));
        }
        if (PerJob > 0) lines.Insert(0, new PriceLine("job", "Per job", 1, PerJob, (long)Math.Ceiling(PerJob)));
        var sum = lines.Sum(l => l.Credits);
        return new PriceEstimate(lines, Math.Max(Minimum, sum), sum < Minimum ? Minimum : null);
    }
}

/// <summary>One line of an estimate: <paramref name="Quantity"/> × <paramref name="UnitPrice"/>, rounded up.</summary>
public sealed record PriceLine(string Meter, string Label, decimal Quantity, decimal UnitPrice, long Credits);

/// <param name="MinimumApplied">The minimum charge, when it raised the total.</param>
public sealed record PriceEstimate(IReadOnlyList<PriceLine> Lines, long Total, long? MinimumApplied);

/// <summary>An operator's price overrides for one pipeline (<c>Kiln:Pipelines:{id}:Pricing</c>).</summary>
public sealed class PricingSettings
{
    public Dictionary<string, decimal> Units { get; set; } = new(StringComparer.Ordinal);
    public decimal? PerJob { get; set; }
    public long? Minimum { get; set; }
}

/// <summary>An operator's settings for one pipeline (<c>Kiln:Pipelines:{id}</c>).</summary>
public sealed class PipelineSettings
{
    public bool Enabled { get; set; } = true;
    public int? TimeoutSeconds { get; set; }
    public PricingSettings? Pricing { get; set; }
    /// <summary>Hours the pipeline's outputs are kept; 0 means "as the plan says".</summary>
    public int? RetentionHours { get; set; }
}

namespace Kiln.Core.Billing;

public sealed class PackOptions
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public long Credits { get; set; }
    /// <summary>Price in minor units (cents).</summary>
    public long Price { get; set; }
    public string? Currency { get; set; }
}

public sealed class PlanOptions
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public long MonthlyAllowance { get; set; }
    /// <summary>Monthly price in minor units; 0 means the plan cannot be bought (Free).</summary>
    public long Price { get; set; }
    public string? Currency { get; set; }
    public int MaxConcurrentJobs { get; set; } = 1;
    public long MaxUploadBytes { get; set; } = 100L * 1024 * 1024;
    public int ArtifactRetentionDays { get; set; } = 7;
    /// <summary>Pipeline ids this plan may run; empty means all.</summary>
    public List<string> AllowedPipelines { get; set; } = [];
    /// <summary>How many podcast shows a workspace on this plan may have.</summary>
    public int MaxShows { get; set; } = 1;
    /// <summary>Longest audio or video file a job may take, in minutes (0 means unlimited; a pipeline may have its own, lower cap).</summary>
    public int MaxMediaMinutes { get; set; } = 60;
    /// <summary>Minutes of browser recording a workspace may finalize per calendar month (UTC); 0 means unlimited.</summary>
    public int RecordingMinutesPerMonth { get; set; } = 120;
    /// <summary>Podcast storage (uploads kept, episode audio, open recordings) in bytes; 0 means unlimited.</summary>
    public long MaxStorageBytes { get; set; } = 3L * 1024 * 1024 * 1024;
    /// <summary>Feature flags (see <see cref="PlanFeatures"/>): <c>ai-show-notes</c>, <c>premium-voices</c>.</summary>
    public List<string> Features { get; set; } = [];
    /// <summary>Optional Stripe Price id, so plan changes made in the Billing Portal map back to this plan.</summary>
    public string? StripePriceId { get; set; }
    /// <summary>Optional Paddle price id (pri_…); without it a non-catalog price is sent.</summary>
    public string? PaddlePriceId { get; set; }
}

public sealed class StripeOptions
{
    public string? SecretKey { get; set; }
    public string? WebhookSecret { get; set; }
    public Uri ApiBase { get; set; } = new("https://api.stripe.com/");
}

public sealed class MollieOptions
{
    public string? ApiKey { get; set; }
    public Uri ApiBase { get; set; } = new("https://api.mollie.com/");
}

public sealed class PaddleOptions
{
    public string? ApiKey { get; set; }
    public string? WebhookSecret { get; set; }
    /// <summary>https://sandbox-api.paddle.com/ for Paddle's sandbox.</summary>
    public Uri ApiBase { get; set; } = new("https://api.paddle.com/");
}

public sealed class SandboxOptions
{
    /// <summary>Signs sandbox webhooks and checkout sessions. The sandbox stays off while this is empty.</summary>
    public string? Secret { get; set; }
    /// <summary>AddBilling refuses a sandbox secret in the Production environment unless this is set (public demos).</summary>
    public bool AllowInProduction { get; set; }
}

/// <summary>Bound from <c>Kiln:Billing</c>. Secrets come from the environment or a secret store, never the repository.</summary>
public sealed class BillingOptions
{
    /// <summary>stripe | mollie | paddle | sandbox | none.</summary>
    public string Provider { get; set; } = "none";
    public string Currency { get; set; } = "EUR";
    /// <summary>Absolute base URL of this installation, used for redirect and webhook URLs handed to providers.</summary>
    public Uri PublicBaseUrl { get; set; } = new("http://localhost:5000/");
    public List<PackOptions> Packs { get; set; } = [];
    public List<PlanOptions> Plans { get; set; } = [];
    public int MaxEventAttempts { get; set; } = 10;
    public StripeOptions Stripe { get; set; } = new();
    public MollieOptions Mollie { get; set; } = new();
    public PaddleOptions Paddle { get; set; } = new();
    public SandboxOptions Sandbox { get; set; } = new();
    /// <summary>Below this many available credits the UI shows a "buy credits" banner; 0 or less turns it off.</summary>
    public long LowCreditThreshold { get; set; } = 5;

    // Applied after binding only when the operator configured none: the binder appends to pre-filled lists.
    internal static void ApplyDefaults(BillingOptions o)
    {
        if (o.Packs.Count == 0)
        {
            o.Packs.Add(new PackOptions { Id = "pack-10", Name = "10 credits", Credits = 10, Price = 500 });
            o.Packs.Add(new PackOptions { Id = "pack-50", Name = "50 credits", Credits = 50, Price = 2000 });
            o.Packs.Add(new PackOptions { Id = "pack-100", Name = "100 credits", Credits = 100, Price = 3500 });
        }
        if (o.Plans.Count == 0)
        {
            o.Plans.Add(new PlanOptions { Id = "free", Name = "Free", MonthlyAllowance = 0, Price = 0, MaxConcurrentJobs = 2, MaxUploadBytes = 50L * 1024 * 1024, ArtifactRetentionDays = 3 });
            o.Plans.Add(new PlanOptions { Id = "creator", Name = "Creator", MonthlyAllowance = 100, Price = 1500, MaxConcurrentJobs = 3, MaxUploadBytes = 500L * 1024 * 1024, ArtifactRetentionDays = 30,
                RecordingMinutesPerMonth = 600, MaxStorageBytes = 50L * 1024 * 1024 * 1024, Features = [PlanFeatures.AiShowNotes], MaxMediaMinutes = 240 });
            o.Plans.Add(new PlanOptions { Id = "pro", Name = "Pro", MonthlyAllowance = 500, Price = 4900, MaxConcurrentJobs = 10, MaxUploadBytes = 2L * 1024 * 1024 * 1024, ArtifactRetentionDays = 90, MaxShows = 3,
                RecordingMinutesPerMonth = 0, MaxStorageBytes = 200L * 1024 * 1024 * 1024, Features = [PlanFeatures.AiShowNotes, PlanFeatures.PremiumVoices], MaxMediaMinutes = 0 });
        }
        foreach (var p in o.Packs) p.Currency ??= o.Currency;
        foreach (var p in o.Plans) p.Currency ??= o.Currency;
        o.Provider = string.IsNullOrWhiteSpace(o.Provider) ? "none" : o.Provider.Trim().ToLowerInvariant();
    }
}

namespace Kiln.Core.Accounts.Email;

public enum SmtpSecurity { Auto, None, StartTls, SslOnConnect }

/// <summary>Bound from <c>Kiln:Email</c>. With no <see cref="SmtpHost"/>, emails stay in the local outbox (admin page).</summary>
public sealed class EmailOptions
{
    public const string Section = "Kiln:Email";

    public string? SmtpHost { get; set; }
    public int SmtpPort { get; set; } = 587;
    public SmtpSecurity SmtpSecurity { get; set; } = SmtpSecurity.Auto;
    public string? SmtpUserName { get; set; }
    public string? SmtpPassword { get; set; }
    public string FromAddress { get; set; } = "kiln@localhost";
    public string FromName { get; set; } = "Kiln";
    /// <summary>The site's address as users reach it, for the links in emails.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5000";
    /// <summary>
    /// Whether an account must verify its email before it may buy and before the free grant. Null (the default) means
    /// "when SMTP is configured" — without an SMTP server nobody could ever verify.
    /// </summary>
    public bool? RequireVerification { get; set; }
    public double PollSeconds { get; set; } = 2;
    /// <summary>The first retry waits this long; each further one twice as long, up to <see cref="MaxBackoffSeconds"/>.</summary>
    public double BackoffBaseSeconds { get; set; } = 15;
    public double MaxBackoffSeconds { get; set; } = 900;
    /// <summary>How long a claimed message is reserved for its sender before another process may try it.</summary>
    public double SendTimeoutSeconds { get; set; } = 60;
    /// <summary>Below this many available credits, the workspace's members get a "credits low" email (once per crossing).</summary>
    public long CreditsLowThreshold { get; set; } = 10;

    public bool SmtpConfigured => !string.IsNullOrWhiteSpace(SmtpHost);
    public bool VerificationRequired => RequireVerification ?? SmtpConfigured;

    public string Link(string pathAndQuery) => PublicBaseUrl.TrimEnd('/') + pathAndQuery;
}

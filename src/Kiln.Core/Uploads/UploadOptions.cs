namespace Kiln.Core.Uploads;

/// <summary>Bound from <c>Kiln:Uploads</c>.</summary>
public sealed class UploadOptions
{
    public const long MiB = 1024 * 1024;

    /// <summary>Largest accepted file, checked against the declared size and again while reading the bytes.</summary>
    public long MaxBytes { get; set; } = 200 * MiB;

    /// <summary>Files above this go up in parts of this size (S3 requires at least 5 MiB per part but the last).</summary>
    public long PartSize { get; set; } = 8 * MiB;

    /// <summary>How long a pending or rejected upload is kept before the sweeper removes it and its bytes.</summary>
    public TimeSpan PendingLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Lifetime of the presigned upload URLs handed to clients.</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Upper bound for one qpdf / pdfinfo / ffprobe run.</summary>
    public TimeSpan ToolTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Where remote blobs are spooled for the inspection tools; empty means the system temp directory.</summary>
    public string? TempPath { get; set; }

    public string QpdfPath { get; set; } = "qpdf";
    public string PdfinfoPath { get; set; } = "pdfinfo";
    public string FfprobePath { get; set; } = "ffprobe";

    /// <summary>
    /// Lets "import from a link" fetch from loopback, private, link-local and other internal addresses. Off by
    /// default (server-side request forgery); turn it on for tests or an on-prem install that imports from the LAN.
    /// </summary>
    public bool AllowPrivateUrls { get; set; }

    /// <summary>Total time for fetching a link: every redirect, the connection and the whole body.</summary>
    public TimeSpan UrlTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Link imports one workspace may run at the same time (per web process); more answer 429 <c>too_many_imports</c>.</summary>
    public int MaxConcurrentUrlImports { get; set; } = 3;

    /// <summary>How often <see cref="UploadSweepService"/> runs.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(15);
}

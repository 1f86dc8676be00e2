namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>Operator settings of the study-notes product (<c>Kiln:StudyNotes</c>).</summary>
public sealed class StudyNotesSettings
{
    /// <summary>Longest video a link may point to, in minutes; a link job is charged for this many minutes up front.</summary>
    public int MaxLinkMinutes { get; set; } = 20;

    /// <summary>A silence at least this long between transcript segments starts a new section of the outline.</summary>
    public double SectionPauseSeconds { get; set; } = 1.6;

    public DownloaderSettings Downloader { get; set; } = new();
}

/// <summary>The video-page downloader (<c>Kiln:StudyNotes:Downloader</c>): yt-dlp, installed by the operator.</summary>
public sealed class DownloaderSettings
{
    public string Path { get; set; } = "yt-dlp";
    /// <summary>An outbound proxy for the downloader (http://, https:// or socks5://), e.g. to keep fetches off the worker's network.</summary>
    public string? Proxy { get; set; }
    /// <summary>Video pages one workspace may fetch per hour, counted in the database across every worker process.</summary>
    public int PerWorkspacePerHour { get; set; } = 20;
    public int TimeoutSeconds { get; set; } = 600;
    public long MaxBytes { get; set; } = 500L * 1024 * 1024;
}

namespace Kiln.Core.Podcasts;

/// <summary>Bound from <c>Kiln:Podcasts</c>.</summary>
public sealed class PodcastOptions
{
    /// <summary>
    /// The absolute base URL feeds, enclosures and episode pages are published under (a podcast app keeps these URLs
    /// for years). Unset: the URL the request came in on.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }
    /// <summary>How often the podcast loop looks for finished processing jobs and due scheduled episodes.</summary>
    public double PollSeconds { get; set; } = 5;
    /// <summary>The pipeline an episode's audio goes through.</summary>
    public string PipelineId { get; set; } = "podcast-episode";
    /// <summary>User-agent fragments (case-insensitive) whose downloads are not counted, added to the built-in list.</summary>
    public List<string> ExtraBotUserAgents { get; set; } = [];
    /// <summary>The largest recording chunk accepted (a browser sends one every 10 s, usually tens of KB).</summary>
    public long MaxRecordingChunkBytes { get; set; } = 16L * 1024 * 1024;
    /// <summary>
    /// How long joining a recording's chunks with ffmpeg may take. The join runs inside the finalize request, so this
    /// bounds the request: past it finalizing answers 503 with Retry-After and changes nothing. Five minutes joins
    /// several hours of Opus on one busy core; a reverse proxy in front must allow at least this long.
    /// </summary>
    public TimeSpan FinalizeTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

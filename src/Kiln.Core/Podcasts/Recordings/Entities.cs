namespace Kiln.Core.Podcasts.Recordings;

public enum RecordingStatus { Open = 0, Finalized = 1 }

/// <summary>
/// A browser recording of an episode, uploaded as it is made: a chunk every few seconds, so a crash or a closed tab
/// loses at most the last chunk. Finalizing joins the chunks into one file that becomes an ordinary upload (the
/// episode's input). A finalized recording keeps its row: its duration is what the plan's monthly minutes count.
/// </summary>
public sealed class Recording
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid ShowId { get; set; }
    public Guid EpisodeId { get; set; }
    public Guid? CreatedByUserId { get; set; }
    /// <summary>What the browser's MediaRecorder said it produces, e.g. <c>audio/webm;codecs=opus</c>.</summary>
    public required string ContentType { get; set; }
    public RecordingStatus Status { get; set; }
    /// <summary>The upload finalizing made (the joined file).</summary>
    public Guid? UploadId { get; set; }
    /// <summary>The joined file's duration as measured by ffprobe (set when finalized).</summary>
    public double? DurationSeconds { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? FinalizedAt { get; set; }
}

/// <summary>One received piece of a recording. Unique per (recording, index): a repeated PUT with the same bytes is a no-op.</summary>
public sealed class RecordingChunk
{
    public Guid RecordingId { get; set; }
    public int Index { get; set; }
    public Guid WorkspaceId { get; set; }
    public long Size { get; set; }
    /// <summary>SHA-256 (hex) of the bytes, to tell a retry of the same chunk from a different one.</summary>
    public required string Sha256 { get; set; }
    /// <summary>How much audio the browser says the chunk holds (its timer); only for "duration so far".</summary>
    public double DurationSeconds { get; set; }
    /// <summary>The chunk begins with a container header (WebM EBML or MP4 ftyp): a new MediaRecorder started here (a resumed session).</summary>
    public bool StartsSegment { get; set; }
    public DateTime CreatedAt { get; set; }
}

using System.Globalization;
using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Media;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Podcasts.Recordings;

/// <summary>
/// Joins a recording's chunks into one Ogg Opus file and makes it an ordinary upload (validated like any upload), the
/// episode's input. Each run of chunks that starts with a container header is one MediaRecorder session (a resumed
/// recording starts a new one), so the sessions are decoded and concatenated by ffmpeg rather than glued as bytes.
/// Refusals — a gap, nothing recorded, unreadable audio, the plan's minutes or storage — leave every chunk in place,
/// so the user can fix the cause (upgrade, delete something) and finalize again: a recording is never lost.
/// The join runs inside the request, bounded by <see cref="PodcastOptions.FinalizeTimeout"/>: past it the answer is
/// 503 <c>recording_join_timeout</c> with Retry-After and nothing changed (moving the join to the worker is the
/// lasting fix; see docs/podcast.md).
/// </summary>
public sealed class FinalizeRecordingCommand(
    KilnDbContext db, IBlobStore store, IProcessRunner processes, UploadFinisher finisher, DeleteUploadCommand deleteUpload, PodcastUsageQuery usage,
    TimeProvider clock,
    IOptions<PodcastOptions> options, IOptions<UploadOptions> uploadOptions)
{
    /// <summary>Below this the recording counts as empty (a click of Start then Stop).</summary>
    private const double MinimumSeconds = 0.5;

    public async Task<Result<RecordingState>> Run(Caller caller, Guid recordingId, CancellationToken ct)
    {
        var recording = await db.Recordings.FirstOrDefaultAsync(r => r.Id == recordingId && r.WorkspaceId == caller.Workspace, ct);
        if (recording is null) return RecordingErrors.NotFound;
        if (recording.Status == RecordingStatus.Finalized) return await RecordingLookup.StateAsync(db, recording, ct);

        var chunks = await db.RecordingChunks.AsNoTracking().Where(c => c.RecordingId == recordingId).OrderBy(c => c.Index).ToListAsync(ct);
        if (chunks.Count == 0) return RecordingErrors.Empty;
        var missing = Enumerable.Range(0, chunks[^1].Index + 1).Except(chunks.Select(c => c.Index)).ToList();
        if (missing.Count > 0) return RecordingErrors.Incomplete(missing);
        if (!chunks[0].StartsSegment) return RecordingErrors.Unreadable("the first chunk does not start with a WebM, MP4 or Ogg header");

        var dir = Directory.CreateTempSubdirectory("kiln-recording-");
        try
        {
            var joined = await JoinAsync(recording, chunks, dir.FullName, ct);
            if (joined.Error is { } joinError) return joinError;
            var (path, seconds) = joined.Value;
            if (seconds < MinimumSeconds) return RecordingErrors.Empty;
            var size = new FileInfo(path).Length;

            // A first look, so a recording that cannot fit is refused before its upload is made; the decisive minutes
            // check is the one under the workspace lock below.
            var u = await usage.Run(recording.WorkspaceId, ct);
            if (!u.UnlimitedMinutes && u.RecordedSecondsThisMonth + seconds > u.Limits.RecordingMinutesPerMonth * 60.0)
                return PlanLimitErrors.RecordingMinutes(u.Limits.RecordingMinutesPerMonth, u.RecordedSecondsThisMonth, seconds);
            // The chunks are freed when the joined file takes their place.
            var chunkBytes = chunks.Sum(c => c.Size);
            if (!u.UnlimitedStorage && u.StorageBytes - chunkBytes + size > u.Limits.MaxStorageBytes)
                return PlanLimitErrors.Storage(u.Limits.MaxStorageBytes, u.StorageBytes - chunkBytes, size);

            var now = clock.GetUtcNow().UtcDateTime;
            var upload = new Upload
            {
                Id = Ids.New(), WorkspaceId = recording.WorkspaceId, CreatedByUserId = caller.UserId,
                FileName = $"recording-{recording.CreatedAt.ToString("yyyy-MM-dd-HHmm", CultureInfo.InvariantCulture)}.ogg",
                DeclaredContentType = "audio/ogg", DeclaredSize = size, Status = UploadStatus.Pending, CreatedAt = now,
                ExpiresAt = now.Add(uploadOptions.Value.PendingLifetime), BlobKey = "",
            };
            upload.BlobKey = BlobKeys.Upload(upload.WorkspaceId, upload.Id);
            await using (var file = File.OpenRead(path)) await store.PutAsync(upload.BlobKey, file, "audio/ogg", ct);
            db.Uploads.Add(upload);
            await db.SaveChangesAsync(ct);
            var finished = await finisher.FinishAsync(upload, ct);
            if (finished.Error is { } rejected) return RecordingErrors.Unreadable(rejected.Message);

            var claim = await ClaimAsync(recording, upload.Id, seconds, u.Limits.RecordingMinutesPerMonth, now, ct);
            if (claim.Error is { } refused)
            {
                // Another finalize in this workspace took the minutes first: this recording stays open with its chunks.
                await deleteUpload.Run(upload.WorkspaceId, upload.Id, ct);
                return refused;
            }
            if (claim.Value)
            {
                await db.RecordingChunks.Where(c => c.RecordingId == recording.Id).ExecuteDeleteAsync(ct);
                await store.DeletePrefixAsync(RecordingBlobs.Prefix(recording.WorkspaceId, recording.Id), ct);
            }
            db.ChangeTracker.Clear();
            var final = await db.Recordings.AsNoTracking().FirstAsync(r => r.Id == recording.Id, ct);
            return await RecordingLookup.StateAsync(db, final, ct);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Counts the recording against the month and marks it finalized in one transaction that holds the workspace's
    /// row lock, so two finalizes at once (in one process or two) cannot both fit in the minutes that remain: the
    /// second waits for the first to commit, then sees its seconds in the sum. PostgreSQL locks the row the UPDATE
    /// touches until commit; SQLite's transaction is BEGIN IMMEDIATE, one writer at a time. True when this call
    /// finalized the recording, false when a concurrent finalize of the same recording did.
    /// </summary>
    private async Task<Result<bool>> ClaimAsync(Recording recording, Guid uploadId, double seconds, int limitMinutes, DateTime now, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Workspaces.Where(w => w.Id == recording.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Plan, w => w.Plan), ct);
        if (limitMinutes > 0)
        {
            var used = await PodcastUsageQuery.RecordedSecondsAsync(db, recording.WorkspaceId, clock, ct);
            if (used + seconds > limitMinutes * 60.0) return PlanLimitErrors.RecordingMinutes(limitMinutes, used, seconds);
        }
        // Only one finalize of a recording wins; a concurrent second one leaves its (ready, unused) upload to the user's uploads.
        var claimed = await db.Recordings.Where(r => r.Id == recording.Id && r.Status == RecordingStatus.Open).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, RecordingStatus.Finalized).SetProperty(r => r.UploadId, uploadId)
            .SetProperty(r => r.DurationSeconds, seconds).SetProperty(r => r.FinalizedAt, now).SetProperty(r => r.UpdatedAt, now), ct);
        await tx.CommitAsync(ct);
        return claimed == 1;
    }

    private async Task<Result<(string Path, double Seconds)>> JoinAsync(Recording recording, List<RecordingChunk> chunks, string dir, CancellationToken ct)
    {
        var extension = recording.ContentType.Contains("mp4", StringComparison.Ordinal) ? ".mp4" : recording.ContentType.Contains("ogg", StringComparison.Ordinal) ? ".ogg" : ".webm";
        var segments = new List<string>();
        FileStream? current = null;
        try
        {
            foreach (var chunk in chunks)
            {
                if (chunk.StartsSegment || current is null)
                {
                    if (current is not null) await current.DisposeAsync();
                    var segment = Path.Combine(dir, $"segment-{segments.Count}{extension}");
                    segments.Add(segment);
                    current = File.Create(segment);
                }
                await using var source = await store.OpenReadAsync(RecordingBlobs.Chunk(recording.WorkspaceId, recording.Id, chunk.Index), ct);
                await source.CopyToAsync(current, ct);
            }
        }
        finally
        {
            if (current is not null) await current.DisposeAsync();
        }

        // A session stopped before its first timeslice sends only the container header: nothing to decode, nothing recorded.
        if (!await AnyMediaAsync(segments, ct)) return RecordingErrors.Empty;
        var output = Path.Combine(dir, "recording.ogg");
        var args = new List<string> { "-v", "error", "-nostdin", "-y" };
        foreach (var s in segments) args.AddRange(["-i", s]);
        args.AddRange(["-filter_complex", string.Concat(segments.Select((_, i) => $"[{i}:a:0]")) + $"concat=n={segments.Count}:v=0:a=1[a]",
            "-map", "[a]", "-c:a", "libopus", "-b:a", "96k", "-ar", "48000", output]);
        var spec = new ProcessSpec("ffmpeg", args) { Timeout = options.Value.FinalizeTimeout, InstallHint = "install ffmpeg" };
        ProcessResult joined;
        try
        {
            joined = await processes.RunAsync(spec, ct);
        }
        catch (ToolTimeoutException)
        {
            return RecordingErrors.JoinTimedOut;
        }
        if (!joined.Succeeded || !File.Exists(output))
        {
            var why = joined.Stderr.Trim();
            return RecordingErrors.Unreadable(why.Contains("does not contain any stream", StringComparison.Ordinal) || why.Contains("matches no streams", StringComparison.Ordinal)
                ? "no audio in it" : "ffmpeg could not decode it");
        }
        var probe = await processes.RunAsync(new ProcessSpec("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", output]) { Timeout = TimeSpan.FromMinutes(1) }, ct);
        var seconds = double.TryParse(probe.Stdout.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;
        return (output, seconds);
    }

    /// <summary>Whether any segment holds coded audio: a WebM Cluster element, an MP4 media data box, or an Ogg page after the two Opus header pages.</summary>
    private static async Task<bool> AnyMediaAsync(IEnumerable<string> segments, CancellationToken ct)
    {
        byte[] cluster = [0x1F, 0x43, 0xB6, 0x75];
        foreach (var segment in segments)
        {
            var bytes = await File.ReadAllBytesAsync(segment, ct);
            if (bytes.AsSpan().IndexOf(cluster) >= 0 || bytes.AsSpan().IndexOf("mdat"u8) >= 0 || bytes.AsSpan().Count("OggS"u8) > 2) return true;
        }
        return false;
    }
}

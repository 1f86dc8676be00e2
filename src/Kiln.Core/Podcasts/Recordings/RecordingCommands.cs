using System.Globalization;
using System.Security.Cryptography;
using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Podcasts.Recordings;

/// <summary>A recording with what has arrived: chunk indexes, the browser-timed duration so far, bytes, and the gaps.</summary>
public sealed record RecordingState(Recording Recording, IReadOnlyList<int> Chunks, double DurationSeconds, long Bytes, IReadOnlyList<int> Missing);

public static class RecordingErrors
{
    public static Error NotFound => Error.NotFound("The recording");
    public static Error Finalized => Error.Conflict("recording_finalized", "This recording is already finalized; it no longer takes chunks. Start a new recording.");
    public static Error AlreadyOpen(Guid id) =>
        new("recording_open", "This episode already has an unfinished recording: resume it, finalize it or discard it first.", ErrorKind.Conflict)
        {
            Extensions = new Dictionary<string, object?> { ["recordingId"] = id },
        };
    public static Error ChunkConflict(int index) =>
        Error.Conflict("chunk_conflict", $"Chunk {index} was already received with different bytes. A chunk cannot be replaced; discard the recording to start over.");
    public static Error ChunkIndex(int max) => Error.Invalid("invalid_chunk_index", $"The chunk number is a whole number from 0 to {max}.");
    public static Error ChunkEmpty => Error.Invalid("chunk_empty", "The chunk has no bytes.");
    public static Error ChunkTooLarge(long max) => Error.TooLarge("chunk_too_large", $"A chunk may be at most {max / (1024 * 1024)} MB; send chunks every few seconds.");
    public static Error UnsupportedFormat(string type) =>
        Error.UnsupportedType("recording_format", $"'{type}' cannot be recorded here; use audio/webm, audio/ogg or audio/mp4 (what MediaRecorder produces).");
    public static Error Empty => Error.Unprocessable("recording_empty", "Nothing was recorded: the recording holds no audio (0 seconds). Record again.");
    public static Error Incomplete(IReadOnlyList<int> missing) =>
        new("recording_incomplete", $"Chunk{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing.Take(20))} never arrived, so the recording would have a hole. " +
            "Keep the recording page open until every chunk is sent (it retries), or discard the recording.", ErrorKind.Unprocessable)
        {
            Extensions = new Dictionary<string, object?> { ["missing"] = missing },
        };
    public static Error Unreadable(string why) => Error.Unprocessable("recording_unreadable", $"The recorded audio could not be read ({why}). The chunks are kept; try again or discard the recording.");
    public const string KeptAfterChunkRefusal =
        "Recording stopped here; what was recorded before this chunk is kept. Delete episodes or uploads you no longer need, or upgrade your plan on the pricing page (/pricing), then reload the recording page to finalize it.";
    /// <summary>Seconds a client should wait before finalizing again after <see cref="JoinTimedOut"/>.</summary>
    public const int JoinRetryAfterSeconds = 30;
    public static Error JoinTimedOut => new("recording_join_timeout",
        "Joining the recording took longer than this request may wait (the server is busy, or the recording is very long). Nothing changed and every chunk is kept: finalize again in a moment.",
        ErrorKind.Unavailable)
    {
        Extensions = new Dictionary<string, object?> { ["retryAfterSeconds"] = JoinRetryAfterSeconds },
    };
    public static Error EpisodeLocked => Error.Conflict("episode_published", "Unpublish the episode before recording new audio for it.");
}

internal static class RecordingBlobs
{
    public static string Prefix(Guid workspaceId, Guid recordingId) => $"{BlobKeys.WorkspacePrefix(workspaceId)}recordings/{recordingId:N}/";
    public static string Chunk(Guid workspaceId, Guid recordingId, int index) => $"{Prefix(workspaceId, recordingId)}{index.ToString("D5", CultureInfo.InvariantCulture)}";
}

/// <summary>Unfinished recordings go with the episode or show they were for: their chunks are nobody's recording any more.</summary>
internal static class RecordingCleanup
{
    public static async Task DiscardOpenAsync(KilnDbContext db, IBlobStore store, System.Linq.Expressions.Expression<Func<Recording, bool>> which, CancellationToken ct)
    {
        var open = await db.Recordings.Where(r => r.Status == RecordingStatus.Open).Where(which).Select(r => new { r.Id, r.WorkspaceId }).ToListAsync(ct);
        if (open.Count == 0) return;
        foreach (var r in open) await store.DeletePrefixAsync(RecordingBlobs.Prefix(r.WorkspaceId, r.Id), ct);
        var ids = open.Select(r => r.Id).ToList();
        await db.RecordingChunks.Where(c => ids.Contains(c.RecordingId)).ExecuteDeleteAsync(ct);
        await db.Recordings.Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct);
    }
}

internal static class RecordingLookup
{
    public static async Task<RecordingState> StateAsync(KilnDbContext db, Recording r, CancellationToken ct)
    {
        var chunks = await db.RecordingChunks.AsNoTracking().Where(c => c.RecordingId == r.Id).OrderBy(c => c.Index)
            .Select(c => new { c.Index, c.DurationSeconds, c.Size }).ToListAsync(ct);
        var indexes = chunks.Select(c => c.Index).ToList();
        var missing = indexes.Count == 0 ? [] : Enumerable.Range(0, indexes[^1] + 1).Except(indexes).ToList();
        var duration = r.Status == RecordingStatus.Finalized ? r.DurationSeconds ?? 0 : chunks.Sum(c => c.DurationSeconds);
        return new RecordingState(r, indexes, duration, chunks.Sum(c => c.Size), missing);
    }
}

/// <summary>Opens a recording session for an episode (one open session per episode).</summary>
public sealed class StartRecordingCommand(KilnDbContext db, TimeProvider clock)
{
    private static readonly string[] Containers = ["audio/webm", "video/webm", "audio/ogg", "audio/mp4", "video/mp4"];

    public async Task<Result<RecordingState>> Run(Caller caller, Guid episodeId, string? contentType, CancellationToken ct)
    {
        var episode = await db.Episodes.AsNoTracking().FirstOrDefaultAsync(e => e.Id == episodeId && e.WorkspaceId == caller.Workspace, ct);
        if (episode is null) return PodcastErrors.EpisodeNotFound;
        if (episode.Status is EpisodeStatus.Published or EpisodeStatus.Scheduled) return RecordingErrors.EpisodeLocked;
        var type = string.IsNullOrWhiteSpace(contentType) ? "audio/webm" : contentType.Trim().ToLowerInvariant();
        if (type.Length > 100 || !Containers.Contains(type.Split(';')[0].Trim())) return RecordingErrors.UnsupportedFormat(type.Length > 100 ? type[..100] : type);
        var open = await db.Recordings.AsNoTracking().Where(r => r.EpisodeId == episodeId && r.Status == RecordingStatus.Open).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(ct);
        if (open is { } id) return RecordingErrors.AlreadyOpen(id);
        var now = clock.GetUtcNow().UtcDateTime;
        var recording = new Recording
        {
            Id = Ids.New(), WorkspaceId = episode.WorkspaceId, ShowId = episode.ShowId, EpisodeId = episode.Id, CreatedByUserId = caller.UserId,
            ContentType = type, Status = RecordingStatus.Open, CreatedAt = now, UpdatedAt = now,
        };
        db.Recordings.Add(recording);
        await db.SaveChangesAsync(ct);
        return new RecordingState(recording, [], 0, 0, []);
    }
}

/// <summary>
/// Stores one chunk. Chunks may come in any order; the same bytes again for an index are accepted as a retry, other
/// bytes for a received index are refused (a chunk is never replaced, so nothing already recorded can be lost).
/// </summary>
public sealed class PutRecordingChunkCommand(KilnDbContext db, IBlobStore store, StorageQuota storage, TimeProvider clock, IOptions<PodcastOptions> options)
{
    public const int MaxIndex = 9_999;

    public async Task<Result<RecordingState>> Run(Caller caller, Guid recordingId, int index, Stream body, double? durationSeconds, CancellationToken ct)
    {
        if (index is < 0 or > MaxIndex) return RecordingErrors.ChunkIndex(MaxIndex);
        var recording = await db.Recordings.FirstOrDefaultAsync(r => r.Id == recordingId && r.WorkspaceId == caller.Workspace, ct);
        if (recording is null) return RecordingErrors.NotFound;
        if (recording.Status == RecordingStatus.Finalized) return RecordingErrors.Finalized;

        // Chunks are seconds of compressed audio (tens of KB), so one is read whole, with the size capped while reading.
        var max = options.Value.MaxRecordingChunkBytes;
        using var buffer = new MemoryStream();
        var block = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(block, ct)) > 0)
        {
            if (buffer.Length + read > max) return RecordingErrors.ChunkTooLarge(max);
            buffer.Write(block, 0, read);
        }
        if (buffer.Length == 0) return RecordingErrors.ChunkEmpty;
        var sha = Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        var startsSegment = StartsSegment(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));

        var existing = await db.RecordingChunks.AsNoTracking().FirstOrDefaultAsync(c => c.RecordingId == recordingId && c.Index == index, ct);
        if (existing is not null)
            return existing.Sha256 == sha ? await RecordingLookup.StateAsync(db, recording, ct) : RecordingErrors.ChunkConflict(index);
        // A chunk the plan has no room for is refused before it is stored; the chunks already received stay.
        if (await storage.CheckAsync(recording.WorkspaceId, buffer.Length, 0, RecordingErrors.KeptAfterChunkRefusal, ct) is { } full) return full;

        buffer.Position = 0;
        await store.PutAsync(RecordingBlobs.Chunk(recording.WorkspaceId, recordingId, index), buffer, "application/octet-stream", ct);
        var now = clock.GetUtcNow().UtcDateTime;
        db.RecordingChunks.Add(new RecordingChunk
        {
            RecordingId = recordingId, Index = index, WorkspaceId = recording.WorkspaceId, Size = buffer.Length, Sha256 = sha,
            DurationSeconds = Math.Clamp(durationSeconds ?? 0, 0, 600), StartsSegment = startsSegment, CreatedAt = now,
        });
        recording.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The same index arrived twice at once (a retry racing the original): the unique key let one in.
            db.ChangeTracker.Clear();
            var winner = await db.RecordingChunks.AsNoTracking().FirstOrDefaultAsync(c => c.RecordingId == recordingId && c.Index == index, ct);
            if (winner is null) throw;
            if (winner.Sha256 != sha) return RecordingErrors.ChunkConflict(index);
        }
        return await RecordingLookup.StateAsync(db, recording, ct);
    }

    /// <summary>A WebM (EBML magic), MP4 (ftyp box) or Ogg (a beginning-of-stream page) header: MediaRecorder's first chunk of a session.</summary>
    private static bool StartsSegment(ReadOnlySpan<byte> b) =>
        b.Length >= 8 && (b[..4].SequenceEqual((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]) || b[4..8].SequenceEqual("ftyp"u8)
            || (b[..4].SequenceEqual("OggS"u8) && (b[5] & 0x02) != 0));
}

public sealed class GetRecordingQuery(KilnDbContext db)
{
    public async Task<Result<RecordingState>> Run(Caller caller, Guid recordingId, CancellationToken ct)
    {
        var recording = await db.Recordings.AsNoTracking().FirstOrDefaultAsync(r => r.Id == recordingId && r.WorkspaceId == caller.Workspace, ct);
        return recording is null ? RecordingErrors.NotFound : await RecordingLookup.StateAsync(db, recording, ct);
    }

    /// <summary>The episode's unfinished recording, if any (the recording page offers to resume or finalize it).</summary>
    public async Task<RecordingState?> OpenFor(Caller caller, Guid episodeId, CancellationToken ct)
    {
        var recording = await db.Recordings.AsNoTracking()
            .FirstOrDefaultAsync(r => r.EpisodeId == episodeId && r.WorkspaceId == caller.Workspace && r.Status == RecordingStatus.Open, ct);
        return recording is null ? null : await RecordingLookup.StateAsync(db, recording, ct);
    }
}

/// <summary>Throws an unfinished recording away with its chunks. A finalized recording stays (it is this month's usage).</summary>
public sealed class DiscardRecordingCommand(KilnDbContext db, IBlobStore store)
{
    public async Task<Result<bool>> Run(Caller caller, Guid recordingId, CancellationToken ct)
    {
        var recording = await db.Recordings.FirstOrDefaultAsync(r => r.Id == recordingId && r.WorkspaceId == caller.Workspace, ct);
        if (recording is null) return RecordingErrors.NotFound;
        if (recording.Status == RecordingStatus.Finalized)
            return Error.Conflict("recording_finalized", "This recording is finalized: it is the episode's audio upload now. Replace or delete the episode's audio instead.");
        // Bytes first: a row must never be gone while its chunks remain unaccounted for in storage.
        await store.DeletePrefixAsync(RecordingBlobs.Prefix(recording.WorkspaceId, recording.Id), ct);
        await db.RecordingChunks.Where(c => c.RecordingId == recording.Id).ExecuteDeleteAsync(ct);
        db.Recordings.Remove(recording);
        await db.SaveChangesAsync(ct);
        return true;
    }
}

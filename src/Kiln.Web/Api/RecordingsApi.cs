using Kiln.Core.Podcasts.Recordings;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record StartRecordingRequest(Guid EpisodeId, string? ContentType);

/// <param name="Chunks">The chunk numbers received so far, in order.</param>
/// <param name="Missing">Chunk numbers below the highest received that have not arrived (finalizing refuses while any are missing).</param>
/// <param name="DurationSeconds">So far, as timed by the browser; once finalized, the joined file's measured duration.</param>
/// <param name="UploadId">Once finalized: the upload holding the joined audio (process it with POST /api/shows/{id}/episodes/{episodeId}/audio).</param>
public sealed record RecordingDto(Guid Id, Guid ShowId, Guid EpisodeId, string ContentType, string Status, IReadOnlyList<int> Chunks, IReadOnlyList<int> Missing,
    double DurationSeconds, long Bytes, Guid? UploadId, DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinalizedAt)
{
    public static RecordingDto From(RecordingState s) => new(s.Recording.Id, s.Recording.ShowId, s.Recording.EpisodeId, s.Recording.ContentType,
        s.Recording.Status == RecordingStatus.Finalized ? "finalized" : "open", s.Chunks, s.Missing, Math.Round(s.DurationSeconds, 3), s.Bytes,
        s.Recording.UploadId, s.Recording.CreatedAt, s.Recording.UpdatedAt, s.Recording.FinalizedAt);
}

/// <summary>
/// Browser recording sessions: the recording page sends a chunk every 10 s, so a closed tab loses at most the last
/// chunk, and finalizing turns the chunks into the episode's input upload. Scoped to the caller's workspace.
/// </summary>
public static class RecordingsApi
{
    public static RouteGroupBuilder MapRecordingsApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/recordings").WithTags("Podcasts");
        g.MapPost("/", async (StartRecordingRequest r, CurrentUser user, StartRecordingCommand start, CancellationToken ct) =>
                Problems.Map(await start.Run(user.Caller, r.EpisodeId, r.ContentType, ct), s => TypedResults.Created($"/api/recordings/{s.Recording.Id}", RecordingDto.From(s))))
            .WithSummary("Open a recording session for an episode. contentType is what MediaRecorder produces (audio/webm, audio/ogg or audio/mp4). One open session per episode (409 recording_open names it).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        g.MapGet("/{id:guid}", async (Guid id, CurrentUser user, GetRecordingQuery q, CancellationToken ct) =>
                Problems.Map(await q.Run(user.Caller, id, ct), s => TypedResults.Ok(RecordingDto.From(s))))
            .WithSummary("The session's received chunks, missing chunk numbers and duration so far.").ProducesProblem(StatusCodes.Status404NotFound);
        g.MapPut("/{id:guid}/chunks/{n:int}", async (Guid id, int n, double? duration, HttpRequest request, CurrentUser user, PutRecordingChunkCommand put, CancellationToken ct) =>
                Problems.Map(await put.Run(user.Caller, id, n, request.Body, duration, ct), s => TypedResults.Ok(RecordingDto.From(s))))
            .Accepts<byte[]>("application/octet-stream")
            .WithSummary("Store chunk n (from 0) with the raw bytes as the body; `duration` is the seconds of audio it holds, by the browser's timer. Any order; the same bytes again are accepted (a retry), different bytes for a received chunk answer 409 chunk_conflict; a chunk the plan's storage has no room for answers 403 plan_storage_limit (the chunks already received stay).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        g.MapPost("/{id:guid}/finalize", async (Guid id, CurrentUser user, FinalizeRecordingCommand finalize, CancellationToken ct) =>
                Problems.Map(await finalize.Run(user.Caller, id, ct), s => TypedResults.Ok(RecordingDto.From(s))))
            .WithSummary("Join the chunks into one audio upload (the episode's input). A gap answers 422 recording_incomplete, nothing recorded 422 recording_empty, over the plan's monthly minutes or storage 403 plan_recording_minutes / plan_storage_limit with an upgrade link, a join slower than Kiln:Podcasts:FinalizeTimeout 503 recording_join_timeout with Retry-After — in every case the chunks are kept and the recording stays open. Two finalizes at once in one workspace are counted one after the other against the month's minutes. Finalizing again returns the same result.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        g.MapDelete("/{id:guid}", async (Guid id, CurrentUser user, DiscardRecordingCommand discard, CancellationToken ct) =>
                Problems.Map(await discard.Run(user.Caller, id, ct), _ => TypedResults.NoContent()))
            .WithSummary("Discard an unfinished recording and its chunks.").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }
}

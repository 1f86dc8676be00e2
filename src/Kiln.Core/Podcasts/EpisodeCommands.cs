using System.Text.Json;
using Kiln.Core.Accounts;
using Kiln.Core.Ai;
using Kiln.Core.Billing;
using Kiln.Core.Pipelines.PodcastEpisode;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Media.Speech;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Podcasts;

/// <summary>What a client sends to create or change an episode. Null leaves a value as it is on update.</summary>
/// <param name="Transcript">The edited transcript as WebVTT.</param>
/// <param name="Chapters">The edited chapters (replaces all).</param>
/// <param name="ArtworkUploadId">An image upload for the episode's own artwork (square, 1400–3000 px, RGB, like the show's).</param>
public sealed record EpisodeInput(
    string? Title, string? ShowNotes = null, int? Season = null, int? Number = null, string? Type = null, bool? Explicit = null,
    Guid? UploadId = null, string? Transcript = null, IReadOnlyList<Chapter>? Chapters = null, Guid? ArtworkUploadId = null);

/// <summary>An episode with the show it belongs to (every episode use case checks both belong to the caller).</summary>
public sealed record ShowEpisode(Show Show, Episode Episode);

internal static class EpisodeLookup
{
    public static async Task<Result<ShowEpisode>> Find(KilnDbContext db, Caller caller, Guid showId, Guid episodeId, CancellationToken ct)
    {
        var show = await db.Shows.FirstOrDefaultAsync(s => s.Id == showId && s.WorkspaceId == caller.Workspace, ct);
        if (show is null) return PodcastErrors.ShowNotFound;
        var episode = await db.Episodes.FirstOrDefaultAsync(e => e.Id == episodeId && e.ShowId == showId && e.WorkspaceId == caller.Workspace, ct);
        return episode is null ? PodcastErrors.EpisodeNotFound : new ShowEpisode(show, episode);
    }

    public static Error? Apply(Episode e, EpisodeInput i, bool creating)
    {
        if (i.Title is not null || creating)
        {
            var title = i.Title?.Trim() ?? "";
            if (title.Length is 0 or > 255) return PodcastErrors.Invalid("title", "Give the episode a title (at most 255 characters).");
            e.Title = title;
        }
        if (i.ShowNotes is not null)
        {
            if (i.ShowNotes.Length > 100_000) return PodcastErrors.Invalid("show_notes", "Show notes are limited to 100,000 characters.");
            e.ShowNotes = i.ShowNotes;
        }
        if (i.Season is < 1 or > 10_000) return PodcastErrors.Invalid("season", "The season is a whole number from 1.");
        if (i.Number is < 1 or > 1_000_000) return PodcastErrors.Invalid("number", "The episode number is a whole number from 1.");
        if (i.Season is not null || creating) e.Season = i.Season;
        if (i.Number is not null || creating) e.Number = i.Number;
        if (i.Type is not null)
        {
            if (!EnumNames.TryParse<EpisodeType>(i.Type.Trim().ToLowerInvariant(), out var type))
                return PodcastErrors.Invalid("type", "The episode type is full, trailer or bonus.");
            e.Type = type;
        }
        if (i.Explicit is { } x) e.Explicit = x;
        if (i.Transcript is not null)
        {
            if (i.Transcript.Length > 2_000_000) return PodcastErrors.Invalid("transcript", "The transcript is limited to 2 MB of text.");
            var (cues, error) = i.Transcript.Trim().Length == 0 ? ([], null) : TranscriptText.Read(i.Transcript);
            if (cues is null)
                return PodcastErrors.Invalid("transcript", error + " The transcript is WebVTT (or SRT): a first line 'WEBVTT', then cues like '00:00:01.000 --> 00:00:04.000' followed by their text.");
            // WebVTT is kept as written; SRT is stored as WebVTT, the one format the feed's transcripts are made from.
            e.TranscriptVtt = cues.Count == 0 ? null
                : i.Transcript.TrimStart('\uFEFF').StartsWith("WEBVTT", StringComparison.Ordinal) ? i.Transcript.Replace("\r\n", "\n") : Captions.ToWebVtt(cues);
        }
        if (i.Chapters is not null)
        {
            if (i.Chapters.Any(c => c.StartTime < 0 || string.IsNullOrWhiteSpace(c.Title) || c.Title.Length > 200))
                return PodcastErrors.Invalid("chapters", "Every chapter needs a start time of 0 or more and a title (at most 200 characters).");
            if (e.DurationSeconds is { } d && i.Chapters.Any(c => c.StartTime > d))
                return PodcastErrors.Invalid("chapters", $"A chapter starts after the end of the episode ({TranscriptText.Clock(d)}).");
            e.ChaptersJson = i.Chapters.Count == 0 ? null : TranscriptText.ChaptersJson(i.Chapters.Select(c => c with { Title = c.Title.Trim() }));
        }
        return null;
    }
}

/// <summary>
/// Creates an episode (a draft). Given an upload id, it starts the <c>podcast-episode</c> job through the normal job
/// path (credits held, plan checks) first: when the job cannot start, nothing is created.
/// </summary>
public sealed class CreateEpisodeCommand(KilnDbContext db, EpisodeAudio audio, ShowArtwork artwork, IBlobStore store, TimeProvider clock)
{
    public async Task<Result<Episode>> Run(Caller caller, Guid showId, EpisodeInput input, CancellationToken ct)
    {
        var show = await db.Shows.FirstOrDefaultAsync(s => s.Id == showId && s.WorkspaceId == caller.Workspace, ct);
        if (show is null) return PodcastErrors.ShowNotFound;
        var now = clock.GetUtcNow().UtcDateTime;
        var episode = new Episode
        {
            Id = Ids.New(), WorkspaceId = show.WorkspaceId, ShowId = show.Id, ItemGuid = Guid.NewGuid().ToString(), Title = "",
            Explicit = show.Explicit, Status = EpisodeStatus.Draft, CreatedAt = now, UpdatedAt = now,
        };
        if (EpisodeLookup.Apply(episode, input, creating: true) is { } invalid) return invalid;
        if (input.ArtworkUploadId is { } art && await artwork.Attach(episode, art, ct) is { } artError) return artError;
        if (input.UploadId is { } uploadId && await audio.Start(caller, show, episode, uploadId, ct) is { } jobError)
        {
            // Nothing half-created: the artwork copy goes with the episode that was never saved.
            if (episode.ArtworkKey is { } orphan) await store.DeleteAsync(orphan, ct);
            return jobError;
        }
        db.Episodes.Add(episode);
        await db.SaveChangesAsync(ct);
        return episode;
    }
}

/// <summary>Starts (or restarts) an episode's processing from an upload: a <c>podcast-episode</c> job.</summary>
/// A plan without the <c>ai-show-notes</c> feature gets its show notes and chapter titles from the offline extractive
/// engine, whatever AI provider the installation has configured.
public sealed class EpisodeAudio(CreateJobCommand jobs, GetPlanLimitsQuery plans, IOptions<PodcastOptions> options)
{
    public async Task<Error?> Start(Caller caller, Show show, Episode episode, Guid uploadId, CancellationToken ct)
    {
        if (episode.Status is EpisodeStatus.Processing) return Error.Conflict("episode_processing", "The episode's audio is being processed; wait for it to finish.");
        if (episode.Status is EpisodeStatus.Published or EpisodeStatus.Scheduled)
            return Error.Conflict("episode_published", "Unpublish the episode before replacing its audio.");
        var artist = string.IsNullOrEmpty(show.Author) ? show.Title : show.Author;
        var aiNotes = (await plans.Run(caller.Workspace, ct)).HasFeature(PlanFeatures.AiShowNotes);
        // Only the built-in pipeline knows the engine option (options are validated strictly against a pipeline's schema).
        var optionsJson = options.Value.PipelineId == PodcastEpisodePipeline.PipelineId && !aiNotes
            ? JsonSerializer.SerializeToElement(new { title = episode.Title, showTitle = show.Title, artist, engine = AiProviderKinds.Extractive })
            : JsonSerializer.SerializeToElement(new { title = episode.Title, showTitle = show.Title, artist });
        var inputs = new Dictionary<string, UploadIds> { ["audio"] = new([uploadId]) };
        // The episode's artwork goes into the MP3's ID3 tags (the pipeline's optional artwork slot).
        if (episode.ArtworkUploadId is { } art) inputs["artwork"] = new([art]);
        var request = new JobRequest(options.Value.PipelineId, null, optionsJson, Inputs: inputs);
        var created = await jobs.Run(caller.Workspace, caller.UserId, request, null, ct);
        if (created.Error is { } error) return error;
        episode.JobId = created.Value!.Job.Id;
        episode.UploadId = uploadId;
        episode.Status = EpisodeStatus.Processing;
        episode.Error = null;
        return null;
    }
}

public sealed class AttachEpisodeAudioCommand(KilnDbContext db, EpisodeAudio audio, TimeProvider clock)
{
    public async Task<Result<Episode>> Run(Caller caller, Guid showId, Guid episodeId, Guid uploadId, CancellationToken ct)
    {
        var found = await EpisodeLookup.Find(db, caller, showId, episodeId, ct);
        if (found.Error is { } notFound) return notFound;
        var (show, episode) = found.Value!;
        if (await audio.Start(caller, show, episode, uploadId, ct) is { } error) return error;
        episode.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return episode;
    }
}

public sealed class UpdateEpisodeCommand(KilnDbContext db, ShowArtwork artwork, TimeProvider clock)
{
    public async Task<Result<Episode>> Run(Caller caller, Guid showId, Guid episodeId, EpisodeInput input, CancellationToken ct)
    {
        var found = await EpisodeLookup.Find(db, caller, showId, episodeId, ct);
        if (found.Error is { } notFound) return notFound;
        var (show, episode) = found.Value!;
        if (input.UploadId is not null) return PodcastErrors.Invalid("upload_id", "Replace the audio with POST …/episodes/{id}/audio.");
        if (EpisodeLookup.Apply(episode, input, creating: false) is { } invalid) return invalid;
        if (input.ArtworkUploadId is { } art && art != episode.ArtworkUploadId && await artwork.Attach(episode, art, ct) is { } artError) return artError;
        var now = clock.GetUtcNow().UtcDateTime;
        episode.UpdatedAt = now;
        if (episode.Status == EpisodeStatus.Published) show.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return episode;
    }
}

public sealed class DeleteEpisodeCommand(KilnDbContext db, IBlobStore store, TimeProvider clock)
{
    public async Task<Result<bool>> Run(Caller caller, Guid showId, Guid episodeId, CancellationToken ct)
    {
        var found = await EpisodeLookup.Find(db, caller, showId, episodeId, ct);
        if (found.Error is { } notFound) return notFound;
        var (show, episode) = found.Value!;
        await db.EpisodeDownloads.Where(d => d.EpisodeId == episode.Id).ExecuteDeleteAsync(ct);
        await Recordings.RecordingCleanup.DiscardOpenAsync(db, store, r => r.EpisodeId == episode.Id, ct);
        db.Episodes.Remove(episode);
        if (episode.Status == EpisodeStatus.Published) show.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await store.DeletePrefixAsync(PodcastBlobs.EpisodeFile(episode.WorkspaceId, show.Id, episode.Id, ""), ct);
        return true;
    }
}

/// <summary>Publishes now (no time, or a time not in the future) or schedules; the podcast loop publishes when due.</summary>
public sealed class PublishEpisodeCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<Episode>> Run(Caller caller, Guid showId, Guid episodeId, DateTime? at, CancellationToken ct)
    {
        var found = await EpisodeLookup.Find(db, caller, showId, episodeId, ct);
        if (found.Error is { } notFound) return notFound;
        var (show, episode) = found.Value!;
        if (episode.Status is EpisodeStatus.Draft or EpisodeStatus.Processing || !episode.HasAudio)
            return PodcastErrors.NotPublishable(episode.Status == EpisodeStatus.Processing
                ? "The episode's audio is still being processed; publish it when it is ready."
                : "The episode has no processed audio yet; upload its audio first.");
        var now = clock.GetUtcNow().UtcDateTime;
        if (at is { } when && when.ToUniversalTime() > now)
        {
            episode.Status = EpisodeStatus.Scheduled;
            episode.PublishAt = when.ToUniversalTime();
            episode.PublishedAt = null;
        }
        else
        {
            episode.Status = EpisodeStatus.Published;
            episode.PublishAt = null;
            episode.PublishedAt ??= now;
        }
        episode.UpdatedAt = now;
        show.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return episode;
    }
}

public sealed class UnpublishEpisodeCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<Episode>> Run(Caller caller, Guid showId, Guid episodeId, CancellationToken ct)
    {
        var found = await EpisodeLookup.Find(db, caller, showId, episodeId, ct);
        if (found.Error is { } notFound) return notFound;
        var (show, episode) = found.Value!;
        if (episode.Status is not (EpisodeStatus.Published or EpisodeStatus.Scheduled))
            return Error.Conflict("episode_not_published", "The episode is neither published nor scheduled.");
        var now = clock.GetUtcNow().UtcDateTime;
        episode.Status = EpisodeStatus.Ready;
        episode.PublishAt = null;
        episode.PublishedAt = null;
        episode.UpdatedAt = now;
        show.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return episode;
    }
}

public sealed class ListEpisodesQuery(KilnDbContext db)
{
    public async Task<Result<IReadOnlyList<Episode>>> Run(Caller caller, Guid showId, CancellationToken ct)
    {
        if (!await db.Shows.AnyAsync(s => s.Id == showId && s.WorkspaceId == caller.Workspace, ct)) return PodcastErrors.ShowNotFound;
        var list = await db.Episodes.AsNoTracking().Where(e => e.ShowId == showId && e.WorkspaceId == caller.Workspace)
            .OrderByDescending(e => e.CreatedAt).ToListAsync(ct);
        return list;
    }
}

public sealed class GetEpisodeQuery(KilnDbContext db)
{
    public async Task<Result<ShowEpisode>> Run(Caller caller, Guid showId, Guid episodeId, CancellationToken ct) =>
        await EpisodeLookup.Find(db, caller, showId, episodeId, ct);
}

using Kiln.Core.Common;
using Kiln.Core.Podcasts;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Api;

public sealed record ShowDto(Guid Id, string Slug, string Title, string Description, string Author, string OwnerName, string OwnerEmail,
    string Language, string Category, string? Subcategory, bool Explicit, string Type, string? Link, string? Copyright, Guid PodcastGuid,
    bool Locked, string? FundingUrl, string? FundingText, IReadOnlyList<ShowPerson> Persons, bool IsPrivate, string FeedUrl, string? ArtworkUrl,
    int? ArtworkSize, string PageUrl, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static ShowDto From(Show s, Uri b) => new(s.Id, s.Slug, s.Title, s.Description, s.Author, s.OwnerName, s.OwnerEmail, s.Language, s.Category,
        s.Subcategory, s.Explicit, s.Type.WireName(), s.Link, s.Copyright, s.PodcastGuid, s.Locked, s.FundingUrl, s.FundingText,
        ShowRules.Persons(s.PersonsJson), s.IsPrivate, s.IsPrivate ? PodcastUrls.PrivateFeed(b, s.FeedToken) : PodcastUrls.Feed(b, s.Slug),
        s.ArtworkKey is null ? null : PodcastUrls.Artwork(b, s), s.ArtworkSize, PodcastUrls.ShowPage(b, s.Slug), s.CreatedAt, s.UpdatedAt);
}

public sealed record EpisodeDto(Guid Id, Guid ShowId, string ItemGuid, string Title, string ShowNotes, int? Season, int? Number, string Type, bool Explicit,
    string Status, DateTime? PublishAt, DateTime? PublishedAt, Guid? UploadId, Guid? JobId, string? Error, long? AudioSize, string? AudioContentType,
    double? DurationSeconds, string? Transcript, IReadOnlyList<Chapter> Chapters, string? AudioUrl, string? PageUrl, DateTime CreatedAt, DateTime UpdatedAt,
    string? ArtworkUrl = null)
{
    public static EpisodeDto From(Show s, Episode e, Uri b) => new(e.Id, e.ShowId, e.ItemGuid, e.Title, e.ShowNotes, e.Season, e.Number, e.Type.WireName(),
        e.Explicit, e.Status.WireName(), e.PublishAt, e.PublishedAt, e.UploadId, e.JobId, e.Error, e.AudioSize, e.AudioContentType, e.DurationSeconds,
        e.TranscriptVtt, TranscriptText.ParseChapters(e.ChaptersJson) ?? [],
        e.Status == EpisodeStatus.Published && e.HasAudio ? PodcastUrls.Audio(b, s.Slug, e) : null,
        e.Status == EpisodeStatus.Published ? PodcastUrls.EpisodePage(b, s.Slug, e.ItemGuid) : null, e.CreatedAt, e.UpdatedAt,
        e.Status == EpisodeStatus.Published && e.ArtworkKey is not null ? PodcastUrls.EpisodeArtwork(b, s.Slug, e) : null);
}

public sealed record AttachAudioRequest(Guid UploadId);
public sealed record PublishRequest(DateTime? At);
public sealed record DownloadStatsDto(IReadOnlyList<DailyDownloadDto> Days, long Total);
public sealed record DailyDownloadDto(DateOnly Day, long Downloads);

/// <summary>
/// Podcast shows and their episodes. Everything is scoped to the caller's workspace: another workspace's show or
/// episode id answers 404 on every route.
/// </summary>
public static class ShowsApi
{
    public static RouteGroupBuilder MapShowsApi(this RouteGroupBuilder api)
    {
        var shows = api.MapGroup("/shows").WithTags("Podcasts");
        shows.MapGet("/", async (HttpContext http, CurrentUser user, ListShowsQuery q, CancellationToken ct) =>
                TypedResults.Ok((await q.Run(user.Caller, ct)).Select(s => ShowDto.From(s, PodcastBase.Of(http))).ToList()))
            .WithSummary("List the workspace's podcast shows.");
        shows.MapPost("/", async (ShowInput input, HttpContext http, CurrentUser user, CreateShowCommand create, CancellationToken ct) =>
                Problems.Map(await create.Run(user.Caller, input, PodcastBase.Of(http), ct), s => TypedResults.Created($"/api/shows/{s.Id}", ShowDto.From(s, PodcastBase.Of(http)))))
            .WithSummary("Create a show. Over the plan's show limit answers 403 plan_show_limit with an upgrade link; the category must be on Apple's list; the artwork (an image upload id) must be square, 1400–3000 px and RGB.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        shows.MapGet("/{id:guid}", async (Guid id, HttpContext http, CurrentUser user, GetShowQuery q, CancellationToken ct) =>
                Problems.Map(await q.Run(user.Caller, id, ct), s => TypedResults.Ok(ShowDto.From(s, PodcastBase.Of(http)))))
            .WithSummary("Get one show with its feed URL.").ProducesProblem(StatusCodes.Status404NotFound);
        shows.MapPut("/{id:guid}", async (Guid id, ShowInput input, HttpContext http, CurrentUser user, UpdateShowCommand update, CancellationToken ct) =>
                Problems.Map(await update.Run(user.Caller, id, input, ct), s => TypedResults.Ok(ShowDto.From(s, PodcastBase.Of(http)))))
            .WithSummary("Replace a show's settings. Its podcast:guid never changes, even with a new slug.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        shows.MapDelete("/{id:guid}", async (Guid id, CurrentUser user, DeleteShowCommand delete, CancellationToken ct) =>
                Problems.Map(await delete.Run(user.Caller, id, ct), _ => TypedResults.NoContent()))
            .WithSummary("Delete a show, its episodes, their media and statistics; its feed answers 404 from now on.").ProducesProblem(StatusCodes.Status404NotFound);
        shows.MapPost("/{id:guid}/feed-token", async (Guid id, HttpContext http, CurrentUser user, RotateFeedTokenCommand rotate, CancellationToken ct) =>
                Problems.Map(await rotate.Run(user.Caller, id, ct), s => TypedResults.Ok(ShowDto.From(s, PodcastBase.Of(http)))))
            .WithSummary("Give a private show's feed a new secret URL; the old URL answers 404 at once.").ProducesProblem(StatusCodes.Status404NotFound);
        shows.MapGet("/{id:guid}/stats", async (Guid id, int? days, CurrentUser user, DownloadStatsQuery q, CancellationToken ct) =>
                Problems.Map(await q.Run(user.Caller, id, null, days ?? 30, ct), Stats))
            .WithSummary("Downloads per day (one per listener per episode per day, bots excluded) over the last `days` days (default 30).")
            .ProducesProblem(StatusCodes.Status404NotFound);

        var episodes = shows.MapGroup("/{id:guid}/episodes");
        episodes.MapGet("/", async (Guid id, HttpContext http, CurrentUser user, ListEpisodesQuery q, GetShowQuery shows, CancellationToken ct) =>
            {
                var show = await shows.Run(user.Caller, id, ct);
                return Problems.Map(await q.Run(user.Caller, id, ct), list => TypedResults.Ok(list.Select(e => EpisodeDto.From(show.Value!, e, PodcastBase.Of(http))).ToList()));
            })
            .WithSummary("List the show's episodes, newest first.").ProducesProblem(StatusCodes.Status404NotFound);
        episodes.MapPost("/", async (Guid id, EpisodeInput input, HttpContext http, CurrentUser user, CreateEpisodeCommand create, GetShowQuery shows, CancellationToken ct) =>
            {
                var result = await create.Run(user.Caller, id, input, ct);
                if (result.Error is { } e) return (Results<Created<EpisodeDto>, ProblemHttpResult>)Problems.From(e);
                var show = (await shows.Run(user.Caller, id, ct)).Value!;
                return TypedResults.Created($"/api/shows/{id}/episodes/{result.Value!.Id}", EpisodeDto.From(show, result.Value, PodcastBase.Of(http)));
            })
            .WithSummary("Create an episode. With uploadId (an audio or video upload) it starts a podcast-episode job — credits are held as for any job — and the episode is 'processing' until the job ends; when the job cannot start, nothing is created.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        episodes.MapGet("/{episodeId:guid}", async (Guid id, Guid episodeId, HttpContext http, CurrentUser user, GetEpisodeQuery q, CancellationToken ct) =>
                Problems.Map(await q.Run(user.Caller, id, episodeId, ct), se => TypedResults.Ok(EpisodeDto.From(se.Show, se.Episode, PodcastBase.Of(http)))))
            .WithSummary("Get one episode with its transcript (WebVTT) and chapters.").ProducesProblem(StatusCodes.Status404NotFound);
        episodes.MapPatch("/{episodeId:guid}", async (Guid id, Guid episodeId, EpisodeInput input, HttpContext http, CurrentUser user, UpdateEpisodeCommand update, GetShowQuery shows, CancellationToken ct) =>
            {
                var result = await update.Run(user.Caller, id, episodeId, input, ct);
                if (result.Error is { } e) return (Results<Ok<EpisodeDto>, ProblemHttpResult>)Problems.From(e);
                return TypedResults.Ok(EpisodeDto.From((await shows.Run(user.Caller, id, ct)).Value!, result.Value!, PodcastBase.Of(http)));
            })
            .WithSummary("Change an episode: title, show notes (Markdown), season, number, type, explicit, the transcript (WebVTT) and the chapters. Fields left out stay as they are.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        episodes.MapDelete("/{episodeId:guid}", async (Guid id, Guid episodeId, CurrentUser user, DeleteEpisodeCommand delete, CancellationToken ct) =>
                Problems.Map(await delete.Run(user.Caller, id, episodeId, ct), _ => TypedResults.NoContent()))
            .WithSummary("Delete an episode, its media and its statistics.").ProducesProblem(StatusCodes.Status404NotFound);
        episodes.MapPost("/{episodeId:guid}/audio", async (Guid id, Guid episodeId, AttachAudioRequest r, HttpContext http, CurrentUser user, AttachEpisodeAudioCommand attach, GetShowQuery shows, CancellationToken ct) =>
            {
                var result = await attach.Run(user.Caller, id, episodeId, r.UploadId, ct);
                if (result.Error is { } e) return (Results<Accepted<EpisodeDto>, ProblemHttpResult>)Problems.From(e);
                return TypedResults.Accepted($"/api/shows/{id}/episodes/{episodeId}", EpisodeDto.From((await shows.Run(user.Caller, id, ct)).Value!, result.Value!, PodcastBase.Of(http)));
            })
            .WithSummary("Process (new) audio for a draft or ready episode: starts a podcast-episode job from the upload.")
            .ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        episodes.MapPost("/{episodeId:guid}/publish", async (Guid id, Guid episodeId, PublishRequest? r, HttpContext http, CurrentUser user, PublishEpisodeCommand publish, GetShowQuery shows, CancellationToken ct) =>
            {
                var result = await publish.Run(user.Caller, id, episodeId, r?.At, ct);
                if (result.Error is { } e) return (Results<Ok<EpisodeDto>, ProblemHttpResult>)Problems.From(e);
                return TypedResults.Ok(EpisodeDto.From((await shows.Run(user.Caller, id, ct)).Value!, result.Value!, PodcastBase.Of(http)));
            })
            .WithSummary("Publish a ready episode now, or schedule it with `at` (UTC); the worker publishes it when the time comes.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        episodes.MapPost("/{episodeId:guid}/unpublish", async (Guid id, Guid episodeId, HttpContext http, CurrentUser user, UnpublishEpisodeCommand unpublish, GetShowQuery shows, CancellationToken ct) =>
            {
                var result = await unpublish.Run(user.Caller, id, episodeId, ct);
                if (result.Error is { } e) return (Results<Ok<EpisodeDto>, ProblemHttpResult>)Problems.From(e);
                return TypedResults.Ok(EpisodeDto.From((await shows.Run(user.Caller, id, ct)).Value!, result.Value!, PodcastBase.Of(http)));
            })
            .WithSummary("Take a published or scheduled episode out of the feed (back to ready).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        episodes.MapGet("/{episodeId:guid}/stats", async (Guid id, Guid episodeId, int? days, CurrentUser user, DownloadStatsQuery q, CancellationToken ct) =>
                Problems.Map(await q.Run(user.Caller, id, episodeId, days ?? 30, ct), Stats))
            .WithSummary("The episode's downloads per day over the last `days` days (default 30).").ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static Ok<DownloadStatsDto> Stats(DailyDownloads d) =>
        TypedResults.Ok(new DownloadStatsDto(d.Days.Select((day, i) => new DailyDownloadDto(DateOnly.FromDateTime(day), d.Counts[i])).ToList(), d.Total));
}

/// <summary>The base URL public podcast links are made from: <c>Kiln:Podcasts:PublicBaseUrl</c>, else the request's own.</summary>
public static class PodcastBase
{
    public static Uri Of(HttpContext http)
    {
        var configured = http.RequestServices.GetRequiredService<IOptions<PodcastOptions>>().Value.PublicBaseUrl;
        return configured ?? new Uri($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/");
    }
}

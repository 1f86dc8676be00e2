using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Media.Speech;
using Kiln.Core.Podcasts;
using Kiln.Core.Storage;
using Kiln.Web.Infrastructure;
using Microsoft.Net.Http.Headers;

namespace Kiln.Web.Api;

/// <summary>
/// The public side of podcast hosting: feeds and media at stable URLs that podcast apps keep for years. Anonymous;
/// a private show's feed is reached only through its secret token URL, and its media through unguessable episode guids.
/// </summary>
public static class PodcastFeedsApi
{
    public static IEndpointRouteBuilder MapPodcastFeeds(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/feeds").WithTags("Podcast feeds").AllowAnonymous();
        feeds.MapMethods("/{slug}.xml", ["GET", "HEAD"], PublicFeed).WithName("PodcastFeed")
            .WithSummary("A public show's RSS feed (RSS 2.0 + itunes + Podcasting 2.0). Answers 304 to a matching If-None-Match or If-Modified-Since.")
            .Produces<string>(StatusCodes.Status200OK, "application/rss+xml").Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound);
        feeds.MapMethods("/private/{token}.xml", ["GET", "HEAD"], PrivateFeed).WithName("PrivatePodcastFeed")
            .WithSummary("A private show's RSS feed at its secret token URL; a rotated-out token answers 404.")
            .Produces<string>(StatusCodes.Status200OK, "application/rss+xml").Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound);

        app.MapMethods("/media/{slug}/{file}", ["GET", "HEAD"], Media).WithTags("Podcast feeds").AllowAnonymous().WithName("PodcastMedia")
            .WithSummary("A published episode's audio ({guid}.mp3, with byte ranges), transcript ({guid}.transcript.vtt|srt|json), chapters ({guid}.chapters.json), peaks ({guid}.peaks.json), or the show's artwork. Audio downloads are counted once per listener per day; an unsatisfiable Range answers 416 with Content-Range: bytes */size.")
            .Produces<Stream>(StatusCodes.Status200OK, "audio/mpeg").Produces<Stream>(StatusCodes.Status206PartialContent, "audio/mpeg")
            .Produces(StatusCodes.Status302Found).Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> PublicFeed(string slug, HttpContext http, PublicPodcastQuery q, CancellationToken ct) =>
        await q.BySlug(slug, ct) is { } show ? await Feed(show, PodcastUrls.Feed(PodcastBase.Of(http), show.Slug), http, q, ct) : FeedNotFound();

    private static async Task<IResult> PrivateFeed(string token, HttpContext http, PublicPodcastQuery q, CancellationToken ct)
    {
        // Private feed URLs are secrets: keep them out of shared caches.
        if (await q.ByToken(token, ct) is not { } show) return FeedNotFound();
        http.Response.Headers.CacheControl = "private, max-age=60";
        return await Feed(show, PodcastUrls.PrivateFeed(PodcastBase.Of(http), token), http, q, ct);
    }

    private static async Task<IResult> Feed(Show show, string feedUrl, HttpContext http, PublicPodcastQuery q, CancellationToken ct)
    {
        var episodes = await q.Published(show, ct);
        var lastModified = Seconds(episodes.Select(e => e.UpdatedAt).Append(show.UpdatedAt).Max());
        var xml = FeedWriter.Write(show, episodes, PodcastBase.Of(http), feedUrl);
        var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(xml))[..32] + "\"");
        var headers = http.Response.GetTypedHeaders();
        headers.ETag = etag;
        headers.LastModified = lastModified;
        if (string.IsNullOrEmpty(http.Response.Headers.CacheControl)) http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.AccessControlAllowOrigin = "*";
        var request = http.Request.GetTypedHeaders();
        var notModified = request.IfNoneMatch.Count > 0
            ? request.IfNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: false))
            : request.IfModifiedSince is { } since && lastModified <= since;
        if (notModified) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(xml, "application/rss+xml; charset=utf-8");
    }

    private static async Task<IResult> Media(string slug, string file, HttpContext http, PublicPodcastQuery q, IBlobStore store, RecordDownloadCommand downloads, CancellationToken ct)
    {
        if (await q.ForMedia(slug, ct) is not { } show) return MediaNotFound();
        http.Response.Headers.AccessControlAllowOrigin = "*";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (file.StartsWith("artwork-", StringComparison.Ordinal))
        {
            if (show.ArtworkKey is null || file != Path.GetFileName(PodcastUrls.Artwork(new Uri("http://x/"), show))) return MediaNotFound();
            // The URL changes with every new picture, so it can be cached for good.
            http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
            return await Blob(store, show.ArtworkKey, show.ArtworkContentType ?? "image/jpeg", file, show.UpdatedAt, http, ct);
        }
        var dot = file.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0) return MediaNotFound();
        var (itemGuid, suffix) = (file[..dot], file[(dot + 1)..]);
        if (await q.PublishedEpisode(show, itemGuid, ct) is not { } episode) return MediaNotFound();
        http.Response.Headers.CacheControl = "public, max-age=300";
        switch (suffix)
        {
            case var art when art.StartsWith("artwork-", StringComparison.Ordinal):
                if (episode.ArtworkKey is null || file != Path.GetFileName(PodcastUrls.EpisodeArtwork(new Uri("http://x/"), show.Slug, episode))) return MediaNotFound();
                http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
                return await Blob(store, episode.ArtworkKey, episode.ArtworkContentType ?? "image/jpeg", art, episode.UpdatedAt, http, ct);
            case "mp3" or "m4a" when episode.AudioKey is not null && file == Path.GetFileName(PodcastUrls.Audio(new Uri("http://x/"), show.Slug, episode)):
                if (IsListen(http.Request)) await downloads.Run(episode, http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString(), ct);
                return await Blob(store, episode.AudioKey, episode.AudioContentType ?? "audio/mpeg", $"{Safe(episode.Title)}{PodcastUrls.AudioExtension(episode.AudioContentType)}", episode.UpdatedAt, http, ct);
            case "peaks.json" when episode.PeaksKey is not null:
                return await Blob(store, episode.PeaksKey, "application/json", "peaks.json", episode.UpdatedAt, http, ct);
            case "chapters.json" when episode.ChaptersJson is not null:
                return Text(http, episode.ChaptersJson, "application/json+chapters", episode.UpdatedAt);
            case "transcript.vtt" or "transcript.srt" or "transcript.json" when episode.TranscriptVtt is not null:
                var cues = TranscriptText.Cues(episode.TranscriptVtt);
                return suffix switch
                {
                    "transcript.vtt" => Text(http, episode.TranscriptVtt, "text/vtt; charset=utf-8", episode.UpdatedAt),
                    "transcript.srt" => Text(http, Captions.ToSrt(cues), "application/srt; charset=utf-8", episode.UpdatedAt),
                    _ => Text(http, Captions.ToPodcastJson(cues), "application/json", episode.UpdatedAt),
                };
            default:
                return MediaNotFound();
        }
    }

    /// <summary>
    /// A request that counts as a download: a GET for the whole file or a range from its first byte. Apps probe with
    /// "bytes=0-1" and resume with later ranges; neither is a new listen (the daily de-duplication catches the rest).
    /// </summary>
    internal static bool IsListen(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method)) return false;
        var range = request.Headers.Range.ToString();
        if (string.IsNullOrEmpty(range)) return true;
        var r = request.GetTypedHeaders().Range;
        if (r is null || r.Ranges.Count == 0) return true;
        var first = r.Ranges.First();
        return first.From == 0 && first.To is not (0 or 1);
    }

    private static async Task<IResult> Blob(IBlobStore store, string key, string contentType, string fileName, DateTime modified, HttpContext http, CancellationToken ct)
    {
        var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key + modified.Ticks)))[..24] + "\"");
        if (store is LocalDiskBlobStore local)
        {
            Stream stream;
            try { stream = await local.OpenReadAsync(key, ct); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return MediaNotFound(); }
            return Results.File(stream, contentType, enableRangeProcessing: true, lastModified: Seconds(modified), entityTag: etag);
        }
        // Object stores serve ranges themselves: a short-lived signed URL behind Kiln's stable one.
        return Results.Redirect(store.GetDownloadUrl(key, fileName, contentType, TimeSpan.FromHours(1)).AbsoluteUri);
    }

    private static IResult Text(HttpContext http, string text, string contentType, DateTime modified)
    {
        http.Response.GetTypedHeaders().LastModified = Seconds(modified);
        return Results.Text(text, contentType, Encoding.UTF8);
    }

    private static string Safe(string title)
    {
        var s = new string(title.Select(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_' ? c : '-').ToArray()).Trim();
        return s.Length == 0 ? "episode" : s.Length > 80 ? s[..80] : s;
    }

    private static DateTimeOffset Seconds(DateTime utc) => new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult FeedNotFound() => Problems.NotFound("The feed");
    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult MediaNotFound() => Problems.NotFound("The file");
}

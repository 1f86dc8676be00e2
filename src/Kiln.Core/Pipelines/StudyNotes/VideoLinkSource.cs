using System.Globalization;
using System.Net;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Kiln.Core.Uploads;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>What a video link gave: captions (preferred) or a media file, and what is known about the video.</summary>
public sealed record LinkedVideo(string? CaptionsPath, string? MediaPath, Guid? UploadId, string? Title, string? Channel,
    double? DurationSeconds, string? SourceId, string Url);

/// <summary>
/// Turns a video link into something to transcribe. A link straight to a media file goes through the guarded link import
/// (<see cref="ImportUploadFromUrlCommand"/>: SSRF guard, size limit, ffprobe) and becomes an upload of the workspace. A page
/// goes to the operator's downloader (yt-dlp) behind the same address policy, an optional proxy and a per-workspace rate
/// limit: first its metadata (title, channel, duration, id; every media and caption address it names is checked against
/// the policy), then its published captions only (<c>--write-subs --skip-download</c>), and only when there are none, the
/// audio. The rate limit is counted in the database (<see cref="DownloaderRateLimit"/>); a local run without a workspace
/// (<c>kiln run</c>) has none.
/// </summary>
public sealed class VideoLinkSource(UrlFetcher fetcher, IProcessRunner runner, IOptions<StudyNotesSettings> settings, IOptions<UploadOptions> uploads)
{
    public async Task<LinkedVideo> ResolveAsync(PipelineContext context, string link, string language, Func<Guid, Task<LinkedVideo?>> importDirect, CancellationToken ct)
    {
        var parsed = UrlFetcher.Parse(link);
        if (!parsed.IsSuccess) throw new PipelineException(parsed.Error!.Code, parsed.Error.Message);
        string? mediaType;
        Uri final;
        try
        {
            using var probe = await fetcher.GetAsync(parsed.Value!, ct);
            mediaType = probe.Message.Content.Headers.ContentType?.MediaType;
            final = probe.FinalUri;
        }
        catch (UrlFetchException e)
        {
            throw new PipelineException(e.Error.Code, e.Error.Message, transient: e.Error.Code == "url_timeout");
        }
        if (mediaType is not null && !mediaType.Contains("html", StringComparison.OrdinalIgnoreCase))
            return await importDirect(context.WorkspaceId) ?? throw new PipelineException("unsupported_link", "The link is neither a video file nor a page with a video.");
        return await DownloadPageAsync(context, final, language, ct);
    }

    private async Task<LinkedVideo> DownloadPageAsync(PipelineContext context, Uri page, string language, CancellationToken ct)
    {
        var s = settings.Value;
        var d = s.Downloader;
        if (context.WorkspaceId != Guid.Empty && context.Services.GetService<DownloaderRateLimit>() is { } limit)
            await limit.HitAsync(context.WorkspaceId, ct);
        var dir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "link")).FullName;
        var info = await RunAsync(["--dump-single-json", "--no-playlist", page.AbsoluteUri], dir, ct);
        using var meta = ParseJson(info.Stdout);
        var root = meta.RootElement;
        await CheckAddressesAsync(root, ct);
        var duration = Num(root, "duration");
        // Refused before anything is downloaded: the job was charged for MaxLinkMinutes and fails with its hold released.
        if (duration is { } seconds && seconds > s.MaxLinkMinutes * 60) throw TooLong(seconds, s.MaxLinkMinutes);
        var title = Str(root, "title");
        var channel = Str(root, "channel") ?? Str(root, "uploader");
        var id = Str(root, "id");
        await context.Reporter.LogAsync($"Video page: \"{title}\"{(duration is { } dd ? $", {Math.Round(dd)} s" : "")}.", ct);

        // Published captions first: they are what the speaker said, and need no speech recognition.
        await RunAsync(["--write-subs", "--sub-langs", "all", "--skip-download", "--no-playlist", "-o", Path.Combine(dir, "captions.%(ext)s"), page.AbsoluteUri], dir, ct);
        var captions = Directory.GetFiles(dir).Where(f => f.EndsWith(".vtt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".srt", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(f => Path.GetFileName(f).Contains($".{language}", StringComparison.OrdinalIgnoreCase)).ThenBy(f => f, StringComparer.Ordinal).FirstOrDefault();
        if (captions is not null)
        {
            await context.Reporter.LogAsync("Using the video's published captions.", ct);
            return new LinkedVideo(captions, null, null, title, channel, duration, id, page.AbsoluteUri);
        }
        await RunAsync(["-f", "bestaudio/best", "--no-playlist", "--max-filesize", d.MaxBytes.ToString(CultureInfo.InvariantCulture), "-o", Path.Combine(dir, "media.%(ext)s"), page.AbsoluteUri], dir, ct);
        var media = Directory.GetFiles(dir, "media.*").FirstOrDefault(f => !f.EndsWith(".part", StringComparison.Ordinal))
            ?? throw new PipelineException("link_no_media", "The page has no video or audio the downloader could fetch (or it is larger than the limit).");
        // A page whose metadata has no duration (a bare <video> tag): the file itself says how long it is.
        if (duration is null && context.Services.GetService<IAudioTools>() is { } audio)
        {
            duration = await audio.GetDurationSecondsAsync(media, ct);
            if (duration > s.MaxLinkMinutes * 60) throw TooLong(duration.Value, s.MaxLinkMinutes);
        }
        return new LinkedVideo(null, media, null, title, channel, duration, id, page.AbsoluteUri);
    }

    /// <summary>The refusal of a video longer than a link may be (<c>Kiln:StudyNotes:MaxLinkMinutes</c>).</summary>
    public static PipelineException TooLong(double seconds, int maxMinutes) =>
        new("too_long", $"The video is {Math.Ceiling(seconds / 60)} minutes long; links may be at most {maxMinutes} minutes. Upload a shorter part of it instead.");

    private async Task<ProcessResult> RunAsync(IReadOnlyList<string> args, string dir, CancellationToken ct)
    {
        var d = settings.Value.Downloader;
        var all = new List<string> { "--no-warnings", "--no-progress", "--socket-timeout", "20", "--no-cache-dir", "--ignore-config" };
        if (d.Proxy is { Length: > 0 } proxy) all.AddRange(["--proxy", proxy]);
        all.AddRange(args);
        var result = await runner.RunAsync(new ProcessSpec(d.Path, all)
        {
            WorkingDirectory = dir,
            Timeout = TimeSpan.FromSeconds(d.TimeoutSeconds),
            InstallHint = "install yt-dlp",
        }, ct);
        if (!result.Succeeded)
        {
            var err = result.Stderr;
            if (err.Contains("Unsupported URL", StringComparison.OrdinalIgnoreCase) || err.Contains("No video formats", StringComparison.OrdinalIgnoreCase))
                throw new PipelineException("link_no_media", "The page has no video the downloader recognises. Link to the video file itself, or upload it.");
            if (err.Contains("HTTP Error 4", StringComparison.OrdinalIgnoreCase))
                throw new PipelineException("url_fetch_failed", "The video page refused the download (it may be private or removed).");
            throw new PipelineException("link_failed", "The video could not be fetched from the page; the job will be retried.", transient: true);
        }
        return result;
    }

    /// <summary>Every address the page's metadata names (formats, captions) must be one the link import may fetch.</summary>
    private async Task CheckAddressesAsync(JsonElement root, CancellationToken ct)
    {
        if (uploads.Value.AllowPrivateUrls) return;
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Collect(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                        if (p.Name == "url" && p.Value.ValueKind == JsonValueKind.String && Uri.TryCreate(p.Value.GetString(), UriKind.Absolute, out var u)) hosts.Add(u.Host);
                        else Collect(p.Value);
                    break;
                case JsonValueKind.Array:
                    foreach (var x in e.EnumerateArray()) Collect(x);
                    break;
            }
        }
        Collect(root);
        foreach (var host in hosts)
        {
            IPAddress[] addresses;
            try { addresses = IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? [ip] : await Dns.GetHostAddressesAsync(host, ct); }
            catch (System.Net.Sockets.SocketException) { throw new PipelineException("url_fetch_failed", $"The host name '{host}' could not be found."); }
            if (addresses.Length == 0 || !addresses.All(UrlAddressPolicy.IsPublic))
                throw new PipelineException("url_forbidden_address", $"The video page points at {host}, a private or local address, which cannot be fetched.");
        }
    }

    private static JsonDocument ParseJson(string text)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException) { throw new PipelineException("link_failed", "The downloader's answer about the page could not be read.", transient: true); }
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    private static double? Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}

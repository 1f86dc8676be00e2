using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Podcasts;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Kiln.Web.Api;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Shows;

/// <summary>
/// The episode editor: title and numbering, show notes (Markdown, previewed with the same safe renderer the feed
/// uses), the transcript (WebVTT) and chapters ("mm:ss Title" lines), publish now or at a time, unpublish.
/// </summary>
public sealed class EpisodeModel(GetEpisodeQuery get, DownloadStatsQuery stats, GetUploadQuery uploads, IBlobStore store) : KilnPageModel
{
    [BindProperty(SupportsGet = true)] public Guid Id { get; set; }
    [BindProperty(SupportsGet = true)] public Guid EpisodeId { get; set; }
    public Show Show { get; private set; } = null!;
    public Episode Episode { get; private set; } = null!;
    public IHtmlContent? NotesPreview { get; private set; }
    public IHtmlContent? Chart { get; private set; }
    public long Downloads { get; private set; }
    public string? PageUrl { get; private set; }
    /// <summary>Short-lived links for the in-app player: the processed episode and, while its upload exists, the raw input (before/after).</summary>
    public Uri? ProcessedUrl { get; private set; }
    public Uri? RawUrl { get; private set; }

    [BindProperty] public string? Title { get; set; }
    [BindProperty] public string? ShowNotes { get; set; }
    [BindProperty] public int? Season { get; set; }
    [BindProperty] public int? Number { get; set; }
    [BindProperty] public string Type { get; set; } = "full";
    [BindProperty] public bool Explicit { get; set; }
    [BindProperty] public string? Transcript { get; set; }
    [BindProperty] public string? Chapters { get; set; }
    /// <summary>The scheduled time, read as UTC (the form says so).</summary>
    [BindProperty] public DateTime? PublishAt { get; set; }
    [BindProperty] public Guid? UploadId { get; set; }
    [BindProperty] public Guid? ArtworkUploadId { get; set; }
    public Uri? ArtworkUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return NotFoundPage();
        Fill();
        return Page();
    }

    public async Task<IActionResult> OnPostSaveAsync([FromServices] UpdateEpisodeCommand update, CancellationToken ct)
    {
        ModelState.Clear();
        var (chapters, chapterError) = TranscriptText.ChaptersFromLines(Chapters ?? "");
        if (chapterError is not null)
        {
            if (!await LoadAsync(ct)) return NotFoundPage();
            ModelState.AddModelError(nameof(Chapters), chapterError);
            NotesPreview = new HtmlString(FeedWriter.NotesHtml(ShowNotes ?? ""));
            return Page();
        }
        var r = await update.Run(Me.Caller, Id, EpisodeId, new EpisodeInput(Title, ShowNotes ?? "", Season, Number, Type, Explicit, null, Transcript ?? "", chapters, ArtworkUploadId), ct);
        if (r.Error is { Code: "not_found" }) return NotFoundPage();
        if (r.Error is { } e)
        {
            await LoadAsync(ct);
            ModelState.AddModelError(Field(e), e.Message);
            NotesPreview = new HtmlString(FeedWriter.NotesHtml(ShowNotes ?? ""));
            return Page();
        }
        TempData["Flash"] = "Episode saved.";
        return Redirect($"/shows/{Id}/episodes/{EpisodeId}");
    }

    /// <summary>Renders the notes as they are in the form, without saving anything.</summary>
    public async Task<IActionResult> OnPostPreviewAsync(CancellationToken ct)
    {
        ModelState.Clear();
        if (!await LoadAsync(ct)) return NotFoundPage();
        NotesPreview = new HtmlString(FeedWriter.NotesHtml(ShowNotes ?? ""));
        return Page();
    }

    public async Task<IActionResult> OnPostPublishAsync([FromServices] PublishEpisodeCommand publish, CancellationToken ct)
    {
        var at = PublishAt is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : (DateTime?)null;
        var r = await publish.Run(Me.Caller, Id, EpisodeId, at, ct);
        if (r.Error is { Code: "not_found" }) return NotFoundPage();
        TempData["Flash"] = r.Error?.Message ?? (r.Value!.Status == EpisodeStatus.Scheduled
            ? $"Scheduled: it goes out {Format.Utc(r.Value.PublishAt)}." : "Published: it is in the feed now.");
        return Redirect($"/shows/{Id}/episodes/{EpisodeId}");
    }

    public async Task<IActionResult> OnPostUnpublishAsync([FromServices] UnpublishEpisodeCommand unpublish, CancellationToken ct)
    {
        var r = await unpublish.Run(Me.Caller, Id, EpisodeId, ct);
        if (r.Error is { Code: "not_found" }) return NotFoundPage();
        TempData["Flash"] = r.Error?.Message ?? "Unpublished: the episode left the feed.";
        return Redirect($"/shows/{Id}/episodes/{EpisodeId}");
    }

    public async Task<IActionResult> OnPostAudioAsync([FromServices] AttachEpisodeAudioCommand attach, CancellationToken ct)
    {
        if (UploadId is not { } upload)
        {
            TempData["Flash"] = "Choose an audio file first.";
            return Redirect($"/shows/{Id}/episodes/{EpisodeId}");
        }
        var r = await attach.Run(Me.Caller, Id, EpisodeId, upload, ct);
        if (r.Error is { Code: "not_found" }) return NotFoundPage();
        TempData["Flash"] = r.Error?.Message ?? "The audio is being processed.";
        return Redirect($"/shows/{Id}/episodes/{EpisodeId}");
    }

    public async Task<IActionResult> OnPostDeleteAsync([FromServices] DeleteEpisodeCommand delete, CancellationToken ct)
    {
        var r = await delete.Run(Me.Caller, Id, EpisodeId, ct);
        if (r.Error is not null) return NotFoundPage();
        TempData["Flash"] = "Episode deleted.";
        return Redirect($"/shows/{Id}");
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        var r = await get.Run(Me.Caller, Id, EpisodeId, ct);
        if (r.Error is not null) return false;
        (Show, Episode) = (r.Value!.Show, r.Value.Episode);
        var d = (await stats.Run(Me.Caller, Id, EpisodeId, 30, ct)).Value!;
        Downloads = d.Total;
        Chart = SvgChart.Bars("Downloads per day", d.Days.Select(DateOnly.FromDateTime).ToList(), new ChartSeries("Downloads", "bar-success", d.Counts));
        PageUrl = Episode.Status == EpisodeStatus.Published && !Show.IsPrivate ? PodcastUrls.EpisodePage(PodcastBase.Of(HttpContext), Show.Slug, Episode.ItemGuid) : null;
        if (Episode.ArtworkKey is { } art)
            ArtworkUrl = store.GetDownloadUrl(art, "artwork" + (Episode.ArtworkContentType == "image/png" ? ".png" : ".jpg"), Episode.ArtworkContentType ?? "image/jpeg", PlayerLinkLifetime);
        if (Episode.AudioKey is { } audio)
        {
            var type = Episode.AudioContentType ?? "audio/mpeg";
            ProcessedUrl = store.GetDownloadUrl(audio, "episode" + PodcastUrls.AudioExtension(type), type, PlayerLinkLifetime);
            if (Episode.UploadId is { } uploadId && (await uploads.Run(Workspace, uploadId, ct)).Value is { Status: UploadStatus.Ready } raw)
                RawUrl = store.GetDownloadUrl(raw.BlobKey, raw.FileName, raw.ContentType ?? "application/octet-stream", PlayerLinkLifetime);
        }
        return true;
    }

    private static readonly TimeSpan PlayerLinkLifetime = TimeSpan.FromHours(2);

    private void Fill()
    {
        var e = Episode;
        (Title, ShowNotes, Season, Number, Type, Explicit, Transcript) = (e.Title, e.ShowNotes, e.Season, e.Number, e.Type.WireName(), e.Explicit, e.TranscriptVtt);
        Chapters = TranscriptText.ChaptersToLines(TranscriptText.ParseChapters(e.ChaptersJson) ?? []);
        NotesPreview = new HtmlString(FeedWriter.NotesHtml(e.ShowNotes));
    }

    private static string Field(Error e) => (e.Extensions?.GetValueOrDefault("field") as string) switch
    {
        "title" => nameof(Title), "show_notes" => nameof(ShowNotes), "season" => nameof(Season), "number" => nameof(Number),
        "type" => nameof(Type), "transcript" => nameof(Transcript), "chapters" => nameof(Chapters), "artwork" => nameof(ArtworkUploadId), _ => "",
    };

    public static string UtcInput(DateTime? t) => t is { } v ? v.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture) : "";
}

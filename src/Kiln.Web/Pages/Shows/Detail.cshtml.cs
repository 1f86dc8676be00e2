using Kiln.Core.Podcasts;
using Kiln.Web.Api;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Shows;

/// <summary>One show: its feed, downloads over 30 days, its episodes, and a form to add an episode from an upload.</summary>
public sealed class DetailModel(GetShowQuery get, ListEpisodesQuery episodes, DownloadStatsQuery stats) : KilnPageModel
{
    [BindProperty(SupportsGet = true)] public Guid Id { get; set; }
    public Show Show { get; private set; } = null!;
    public IReadOnlyList<Episode> Episodes { get; private set; } = [];
    public string FeedUrl { get; private set; } = "";
    public IHtmlContent? Chart { get; private set; }
    public long Downloads { get; private set; }

    [BindProperty] public string? EpisodeTitle { get; set; }
    [BindProperty] public Guid? UploadId { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await LoadAsync(ct) ? Page() : NotFoundPage();

    public async Task<IActionResult> OnPostEpisodeAsync([FromServices] CreateEpisodeCommand create, CancellationToken ct)
    {
        ModelState.Clear();
        var r = await create.Run(Me.Caller, Id, new EpisodeInput(EpisodeTitle, UploadId: UploadId), ct);
        if (r.Error is { Code: "not_found" } && !await LoadAsync(ct)) return NotFoundPage();
        if (r.Error is { } e)
        {
            ModelState.AddModelError(e.Code == "invalid_title" ? nameof(EpisodeTitle) : nameof(UploadId), e.Message);
            await LoadAsync(ct);
            return Page();
        }
        TempData["Flash"] = UploadId is null ? "Episode created as a draft." : "Episode created; its audio is being processed.";
        return Redirect($"/shows/{Id}/episodes/{r.Value!.Id}");
    }

    public async Task<IActionResult> OnPostRotateAsync([FromServices] RotateFeedTokenCommand rotate, CancellationToken ct)
    {
        var r = await rotate.Run(Me.Caller, Id, ct);
        if (r.Error is not null) return NotFoundPage();
        TempData["Flash"] = "The private feed has a new link; the old one stopped working. Give subscribers the new link.";
        return Redirect($"/shows/{Id}");
    }

    public async Task<IActionResult> OnPostDeleteAsync([FromServices] DeleteShowCommand delete, CancellationToken ct)
    {
        var r = await delete.Run(Me.Caller, Id, ct);
        if (r.Error is not null) return NotFoundPage();
        TempData["Flash"] = "The show, its episodes and its feed are deleted.";
        return Redirect("/shows");
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        var s = await get.Run(Me.Caller, Id, ct);
        if (s.Error is not null) return false;
        Show = s.Value!;
        Episodes = (await episodes.Run(Me.Caller, Id, ct)).Value!;
        var b = PodcastBase.Of(HttpContext);
        FeedUrl = Show.IsPrivate ? PodcastUrls.PrivateFeed(b, Show.FeedToken) : PodcastUrls.Feed(b, Show.Slug);
        var d = (await stats.Run(Me.Caller, Id, null, 30, ct)).Value!;
        Downloads = d.Total;
        Chart = SvgChart.Bars("Downloads per day", d.Days.Select(DateOnly.FromDateTime).ToList(), new ChartSeries("Downloads", "bar-success", d.Counts));
        return true;
    }
}

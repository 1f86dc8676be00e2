using Kiln.Core.Podcasts;
using Kiln.Core.Podcasts.Recordings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Kiln.Web.Pages.Shows;

/// <summary>
/// Records an episode in the browser (recorder.js): device picker, level meter, timer, pause/resume, a chunk uploaded
/// every 10 s with retries. An unfinished recording (a closed tab, a crash) is offered for resuming or finalizing. The
/// only page whose Permissions-Policy lets the site use the microphone.
/// </summary>
public sealed class RecordModel(GetEpisodeQuery get, GetRecordingQuery recordings, PodcastUsageQuery usage) : KilnPageModel
{
    /// <summary>What this page sends instead of the site-wide <c>microphone=()</c>.</summary>
    public const string PermissionsPolicy = "camera=(), microphone=(self), geolocation=()";

    [BindProperty(SupportsGet = true)] public Guid Id { get; set; }
    [BindProperty(SupportsGet = true)] public Guid EpisodeId { get; set; }
    public Show Show { get; private set; } = null!;
    public Episode Episode { get; private set; } = null!;
    public RecordingState? Open { get; private set; }
    public PodcastUsage Usage { get; private set; } = null!;

    public override Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        Response.Headers["Permissions-Policy"] = PermissionsPolicy;
        return base.OnPageHandlerExecutionAsync(context, next);
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var r = await get.Run(Me.Caller, Id, EpisodeId, ct);
        if (r.Error is not null) return NotFoundPage();
        (Show, Episode) = (r.Value!.Show, r.Value.Episode);
        Open = await recordings.OpenFor(Me.Caller, EpisodeId, ct);
        Usage = await usage.Run(Workspace, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostDiscardAsync(Guid recordingId, [FromServices] DiscardRecordingCommand discard, CancellationToken ct)
    {
        var r = await discard.Run(Me.Caller, recordingId, ct);
        TempData["Flash"] = r.Error?.Message ?? "The unfinished recording was discarded.";
        return Redirect($"/shows/{Id}/episodes/{EpisodeId}/record");
    }

    /// <summary>A saved length to the nearest second: chunks measured by the browser come out a hair under 10 s, and 9.98 s is "00:10", not "00:09".</summary>
    public static string Clock(double seconds) => TimeSpan.FromSeconds(Math.Round(Math.Max(0, seconds))).ToString(seconds >= 3600 ? @"h\:mm\:ss" : @"mm\:ss", System.Globalization.CultureInfo.InvariantCulture);
}

using System.Security.Cryptography;
using Kiln.Core.Media.Speech;
using Kiln.Core.Podcasts;
using Kiln.Web.Api;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Podcasts;

/// <summary>
/// A published episode's public page: the player (native audio controls, a wavesurfer.js waveform drawn from the
/// precomputed peaks, speed, keyboard), the show notes, the chapters and the transcript, both clickable to seek.
/// </summary>
public sealed class EpisodeModel(PublicPodcastQuery q) : PageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    [BindProperty(SupportsGet = true)] public string ItemGuid { get; set; } = "";
    public Show Show { get; private set; } = null!;
    public Episode Episode { get; private set; } = null!;
    public Uri Base { get; private set; } = null!;
    public IHtmlContent Notes { get; private set; } = HtmlString.Empty;
    public IReadOnlyList<CaptionCue> Cues { get; private set; } = [];
    public IReadOnlyList<Chapter> Chapters { get; private set; } = [];
    /// <summary>wavesurfer.js puts its styles in a &lt;style&gt; of its shadow root: this page allows that one element by nonce.</summary>
    public string StyleNonce { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    public async Task<IActionResult> OnGetAsync([FromServices] Kiln.Web.Infrastructure.ContentSecurityPolicy csp, CancellationToken ct)
    {
        if (await q.BySlug(Slug, ct) is not { } show || await q.PublishedEpisode(show, ItemGuid, ct) is not { } episode)
            return KilnPageModel.NotFoundResult(MetadataProvider, ModelState);
        (Show, Episode) = (show, episode);
        Base = PodcastBase.Of(HttpContext);
        Notes = new HtmlString(FeedWriter.NotesHtml(episode.ShowNotes));
        Cues = TranscriptText.Cues(episode.TranscriptVtt);
        Chapters = TranscriptText.ParseChapters(episode.ChaptersJson) ?? [];
        Response.Headers.ContentSecurityPolicy = csp.Value.Replace("style-src 'self'", $"style-src 'self' 'nonce-{StyleNonce}'", StringComparison.Ordinal);
        return Page();
    }
}

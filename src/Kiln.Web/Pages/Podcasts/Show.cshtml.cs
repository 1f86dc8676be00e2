using Kiln.Core.Podcasts;
using Kiln.Web.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Podcasts;

/// <summary>A public show's page: its artwork, description, feed link and published episodes. Private shows answer 404.</summary>
public sealed class ShowModel(PublicPodcastQuery q) : PageModel
{
    [BindProperty(SupportsGet = true)] public string Slug { get; set; } = "";
    public Show Show { get; private set; } = null!;
    public IReadOnlyList<Episode> Episodes { get; private set; } = [];
    public Uri Base { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await q.BySlug(Slug, ct) is not { } show) return KilnPageModel.NotFoundResult(MetadataProvider, ModelState);
        Show = show;
        Episodes = await q.Published(show, ct);
        Base = PodcastBase.Of(HttpContext);
        return Page();
    }
}

using Kiln.Core.Podcasts;

namespace Kiln.Web.Pages.Shows;

/// <summary>The workspace's podcast shows, with the way to start one when there are none.</summary>
public sealed class IndexModel(ListShowsQuery list) : KilnPageModel
{
    public IReadOnlyList<Show> Shows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Shows = await list.Run(Me.Caller, ct);
}

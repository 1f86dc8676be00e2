using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Podcasts;

/// <summary>
/// What the public (feeds, media, episode pages) may see: shows that are not private, reached by slug, or a private
/// show reached by its current feed token; and only their published episodes.
/// </summary>
public sealed class PublicPodcastQuery(KilnDbContext db)
{
    public Task<Show?> BySlug(string slug, CancellationToken ct) =>
        db.Shows.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(s => s.Slug == slug && !s.IsPrivate, ct);

    public Task<Show?> ByToken(string token, CancellationToken ct) =>
        db.Shows.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(s => s.FeedToken == token && s.IsPrivate, ct);

    /// <summary>Any show by slug, private or not: media URLs hold an unguessable episode guid, so they work for private feeds too.</summary>
    public Task<Show?> ForMedia(string slug, CancellationToken ct) =>
        db.Shows.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(s => s.Slug == slug, ct);

    public async Task<IReadOnlyList<Episode>> Published(Show show, CancellationToken ct) =>
        await db.Episodes.IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.ShowId == show.Id && e.Status == EpisodeStatus.Published)
            .OrderByDescending(e => e.PublishedAt).ToListAsync(ct);

    public Task<Episode?> PublishedEpisode(Show show, string itemGuid, CancellationToken ct) =>
        db.Episodes.IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(e => e.ShowId == show.Id && e.ItemGuid == itemGuid && e.Status == EpisodeStatus.Published, ct);
}

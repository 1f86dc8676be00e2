using System.Text.Json;
using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Podcasts;

/// <summary>Creates a show within the plan's show limit; its <c>podcast:guid</c> comes from its first feed URL and never changes.</summary>
public sealed class CreateShowCommand(KilnDbContext db, GetPlanLimitsQuery plans, ShowArtwork artwork, TimeProvider clock)
{
    public async Task<Result<Show>> Run(Caller caller, ShowInput input, Uri publicBase, CancellationToken ct)
    {
        var workspaceId = caller.Workspace;
        var valid = ShowRules.Validate(input);
        if (valid.Error is { } invalid) return invalid;
        var v = valid.Value!;
        var limits = await plans.Run(workspaceId, ct);
        if (await db.Shows.CountAsync(s => s.WorkspaceId == workspaceId, ct) >= limits.MaxShows) return PodcastErrors.TooManyShows(limits.MaxShows);
        if (await SlugTaken(db, v.Slug!, null, ct)) return PodcastErrors.SlugTaken(v.Slug!);

        var now = clock.GetUtcNow().UtcDateTime;
        var show = new Show { Id = Ids.New(), WorkspaceId = workspaceId, Slug = v.Slug!, Title = v.Title!, Category = v.Category!, FeedToken = Ids.Token(24), CreatedAt = now, UpdatedAt = now };
        ShowRules.Apply(show, v);
        show.PodcastGuid = PodcastGuid.ForFeedUrl(PodcastUrls.Feed(publicBase, show.Slug));
        if (v.ArtworkUploadId is { } uploadId && await artwork.Attach(show, uploadId, ct) is { } artworkError) return artworkError;
        db.Shows.Add(show);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another show took the slug between the check and the insert (the unique index decides).
            db.ChangeTracker.Clear();
            return PodcastErrors.SlugTaken(v.Slug!);
        }
        return show;
    }

    internal static Task<bool> SlugTaken(KilnDbContext db, string slug, Guid? except, CancellationToken ct) =>
        db.Shows.IgnoreQueryFilters().AnyAsync(s => s.Slug == slug && s.Id != except, ct);
}

/// <summary>Replaces a show's settings (PUT semantics). The podcast guid and feed token stay.</summary>
public sealed class UpdateShowCommand(KilnDbContext db, ShowArtwork artwork, TimeProvider clock)
{
    public async Task<Result<Show>> Run(Caller caller, Guid id, ShowInput input, CancellationToken ct)
    {
        var show = await db.Shows.FirstOrDefaultAsync(s => s.Id == id && s.WorkspaceId == caller.Workspace, ct);
        if (show is null) return PodcastErrors.ShowNotFound;
        var valid = ShowRules.Validate(input);
        if (valid.Error is { } invalid) return invalid;
        var v = valid.Value!;
        if (v.Slug != show.Slug && await CreateShowCommand.SlugTaken(db, v.Slug!, show.Id, ct)) return PodcastErrors.SlugTaken(v.Slug!);
        if (v.ArtworkUploadId is { } uploadId && await artwork.Attach(show, uploadId, ct) is { } artworkError) return artworkError;
        ShowRules.Apply(show, v);
        show.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return PodcastErrors.SlugTaken(v.Slug!);
        }
        return show;
    }
}

/// <summary>Deletes a show, its episodes, their counted downloads and their media.</summary>
public sealed class DeleteShowCommand(KilnDbContext db, IBlobStore store)
{
    public async Task<Result<bool>> Run(Caller caller, Guid id, CancellationToken ct)
    {
        var show = await db.Shows.FirstOrDefaultAsync(s => s.Id == id && s.WorkspaceId == caller.Workspace, ct);
        if (show is null) return PodcastErrors.ShowNotFound;
        await db.EpisodeDownloads.Where(d => d.ShowId == id).ExecuteDeleteAsync(ct);
        await Recordings.RecordingCleanup.DiscardOpenAsync(db, store, r => r.ShowId == id, ct);
        await db.Episodes.Where(e => e.ShowId == id).ExecuteDeleteAsync(ct);
        db.Shows.Remove(show);
        await db.SaveChangesAsync(ct);
        await store.DeletePrefixAsync(PodcastBlobs.ShowPrefix(show.WorkspaceId, show.Id), ct);
        return true;
    }
}

/// <summary>A private show's feed moves to a new token URL; the old one answers 404 from now on.</summary>
public sealed class RotateFeedTokenCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<Show>> Run(Caller caller, Guid id, CancellationToken ct)
    {
        var show = await db.Shows.FirstOrDefaultAsync(s => s.Id == id && s.WorkspaceId == caller.Workspace, ct);
        if (show is null) return PodcastErrors.ShowNotFound;
        show.FeedToken = Ids.Token(24);
        show.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return show;
    }
}

public sealed class ListShowsQuery(KilnDbContext db)
{
    public async Task<IReadOnlyList<Show>> Run(Caller caller, CancellationToken ct) =>
        await db.Shows.AsNoTracking().Where(s => s.WorkspaceId == caller.Workspace).OrderBy(s => s.CreatedAt).ToListAsync(ct);
}

public sealed class GetShowQuery(KilnDbContext db)
{
    public async Task<Result<Show>> Run(Caller caller, Guid id, CancellationToken ct) =>
        await db.Shows.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id && s.WorkspaceId == caller.Workspace, ct) is { } show ? show : PodcastErrors.ShowNotFound;
}

/// <summary>
/// Takes a validated image upload as a show's artwork: the upload must be ready and an image that meets Apple's rules
/// (checked again from its probed facts), and its bytes are copied under the show, so the upload's expiry and
/// deletion leave the artwork alone.
/// </summary>
public sealed class ShowArtwork(KilnDbContext db, IBlobStore store)
{
    public async Task<Error?> Attach(Show show, Guid uploadId, CancellationToken ct)
    {
        var stored = await Copy(show.WorkspaceId, uploadId, (version, type) => PodcastBlobs.Artwork(show.WorkspaceId, show.Id, version, type), ct);
        if (stored.Error is { } error) return error;
        var (key, contentType, version, width) = stored.Value;
        if (show.ArtworkKey is { } old) await store.DeleteAsync(old, ct);
        show.ArtworkKey = key;
        show.ArtworkContentType = contentType;
        show.ArtworkVersion = version;
        show.ArtworkSize = width;
        return null;
    }

    /// <summary>An episode's own artwork, under the same rules as the show's; the upload id is kept for the job's ID3 tags.</summary>
    public async Task<Error?> Attach(Episode episode, Guid uploadId, CancellationToken ct)
    {
        var stored = await Copy(episode.WorkspaceId, uploadId, (version, type) => PodcastBlobs.EpisodeFile(episode.WorkspaceId, episode.ShowId, episode.Id,
            $"artwork-{version}{(type == "image/png" ? ".png" : ".jpg")}"), ct);
        if (stored.Error is { } error) return error;
        if (episode.ArtworkKey is { } old) await store.DeleteAsync(old, ct);
        (episode.ArtworkKey, episode.ArtworkContentType, episode.ArtworkVersion, _) = stored.Value;
        episode.ArtworkUploadId = uploadId;
        return null;
    }

    private async Task<Result<(string Key, string ContentType, string Version, int Width)>> Copy(Guid workspaceId, Guid uploadId, Func<string, string, string> keyFor, CancellationToken ct)
    {
        var upload = await db.Uploads.AsNoTracking().FirstOrDefaultAsync(u => u.Id == uploadId && u.WorkspaceId == workspaceId, ct);
        if (upload is null) return PodcastErrors.Invalid("artwork", "The artwork upload was not found; upload the image again.");
        if (upload.Status == UploadStatus.Rejected) return ImageInspector.ArtworkInvalid(upload.RejectMessage ?? "The artwork upload was rejected.");
        if (upload.Status != UploadStatus.Ready || upload.Kind != "image")
            return PodcastErrors.Invalid("artwork", "The artwork must be a finished JPEG or PNG upload.");
        int width;
        using (var doc = JsonDocument.Parse(upload.MetadataJson ?? "{}"))
        {
            var m = doc.RootElement;
            var facts = new ImageFacts(m.GetProperty("format").GetString()!, m.GetProperty("width").GetInt32(), m.GetProperty("height").GetInt32(), m.GetProperty("colorModel").GetString()!);
            if (ImageInspector.CheckArtwork(facts) is { } problem) return problem;
            width = facts.Width;
        }
        var version = Ids.Token(6).ToLowerInvariant().Replace('_', 'x').Replace('-', 'x');
        var contentType = upload.ContentType ?? "image/jpeg";
        var key = keyFor(version, contentType);
        await using (var source = await store.OpenReadAsync(upload.BlobKey, ct))
            await store.PutAsync(key, source, contentType, ct);
        return (key, contentType, version, width);
    }
}

/// <summary>Where a show's files live in the blob store (under the workspace, like everything else).</summary>
public static class PodcastBlobs
{
    public static string ShowPrefix(Guid workspaceId, Guid showId) => $"{BlobKeys.WorkspacePrefix(workspaceId)}shows/{showId:N}/";
    public static string Artwork(Guid workspaceId, Guid showId, string version, string contentType) =>
        $"{ShowPrefix(workspaceId, showId)}artwork-{version}{(contentType == "image/png" ? ".png" : ".jpg")}";
    public static string EpisodeFile(Guid workspaceId, Guid showId, Guid episodeId, string name) => $"{ShowPrefix(workspaceId, showId)}episodes/{episodeId:N}/{name}";
}

using System.Text.Json;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Podcasts;

/// <summary>
/// Moves processing episodes on when their job ends. A succeeded job's artifacts become the episode's: the audio and
/// peaks are copied under the show (artifact retention must never take a published episode's audio away), the
/// transcript and chapters become the episode's own editable text, and the show notes are taken when the episode has
/// none yet. A failed or canceled job sends the episode back to draft with the job's error.
/// </summary>
public sealed class SyncEpisodeJobsCommand(KilnDbContext db, IBlobStore store, TimeProvider clock, ILogger<SyncEpisodeJobsCommand> log)
{
    public async Task<int> Run(CancellationToken ct)
    {
        var processing = await db.Episodes.IgnoreQueryFilters().Where(e => e.Status == EpisodeStatus.Processing && e.JobId != null).OrderBy(e => e.UpdatedAt).Take(20).ToListAsync(ct);
        var moved = 0;
        foreach (var episode in processing)
        {
            var job = await db.Jobs.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(j => j.Id == episode.JobId, ct);
            if (job is null || !job.IsFinished) continue;
            var now = clock.GetUtcNow().UtcDateTime;
            if (job.Status == JobStatus.Succeeded)
            {
                try
                {
                    await TakeArtifacts(episode, job, ct);
                    episode.Status = EpisodeStatus.Ready;
                    episode.Error = null;
                }
                catch (Exception e) when (e is InvalidDataException or JsonException or FileNotFoundException or KeyNotFoundException)
                {
                    log.LogWarning(e, "Episode {Episode}: job {Job} artifacts unusable", episode.Id, job.Id);
                    episode.Status = EpisodeStatus.Draft;
                    episode.Error = "The processed episode could not be read (" + e.Message + "). Upload the audio again.";
                }
            }
            else
            {
                episode.Status = EpisodeStatus.Draft;
                episode.Error = job.Status == JobStatus.Canceled ? "Processing was canceled." : job.ErrorMessage ?? "Processing failed.";
            }
            episode.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            moved++;
        }
        return moved;
    }

    private async Task TakeArtifacts(Episode episode, Job job, CancellationToken ct)
    {
        var artifacts = (await db.Artifacts.IgnoreQueryFilters().AsNoTracking().Where(a => a.JobId == job.Id).ToListAsync(ct))
            .GroupBy(a => a.Name).ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.CreatedAt).First(), StringComparer.Ordinal);
        var audio = artifacts.GetValueOrDefault("episode.mp3") ?? artifacts.GetValueOrDefault("episode.m4a")
            ?? throw new InvalidDataException("the job wrote no episode.mp3");
        var audioName = "episode" + PodcastUrls.AudioExtension(audio.ContentType == "audio/mp4" ? "audio/mp4" : "audio/mpeg");
        var audioType = audioName.EndsWith(".m4a", StringComparison.Ordinal) ? "audio/mp4" : "audio/mpeg";
        episode.AudioKey = await Copy(episode, audio, audioName, audioType, ct);
        episode.AudioContentType = audioType;
        episode.AudioSize = (await store.StatAsync(episode.AudioKey, ct))?.Size ?? audio.Size;
        if (artifacts.GetValueOrDefault("peaks.json") is { } peaks) episode.PeaksKey = await Copy(episode, peaks, "peaks.json", "application/json", ct);
        if (artifacts.GetValueOrDefault("transcript.vtt") is { } vtt) episode.TranscriptVtt = await Text(vtt, ct);
        if (artifacts.GetValueOrDefault("chapters.json") is { } chapters)
        {
            var json = await Text(chapters, ct);
            episode.ChaptersJson = TranscriptText.ParseChapters(json) is { } parsed ? TranscriptText.ChaptersJson(parsed) : null;
        }
        if (string.IsNullOrWhiteSpace(episode.ShowNotes) && artifacts.GetValueOrDefault("shownotes.md") is { } notes) episode.ShowNotes = await Text(notes, ct);
        if (artifacts.GetValueOrDefault("episode.json") is { } manifest)
        {
            using var doc = JsonDocument.Parse(await Text(manifest, ct));
            if (doc.RootElement.TryGetProperty("durationSeconds", out var d) && d.ValueKind == JsonValueKind.Number) episode.DurationSeconds = d.GetDouble();
        }
    }

    private async Task<string> Copy(Episode episode, Artifact artifact, string name, string contentType, CancellationToken ct)
    {
        var key = PodcastBlobs.EpisodeFile(episode.WorkspaceId, episode.ShowId, episode.Id, name);
        await using var source = await store.OpenReadAsync(artifact.BlobKey, ct);
        await store.PutAsync(key, source, contentType, ct);
        return key;
    }

    private async Task<string> Text(Artifact artifact, CancellationToken ct)
    {
        if (artifact.Size > 5_000_000) throw new InvalidDataException($"{artifact.Name} is larger than 5 MB");
        await using var source = await store.OpenReadAsync(artifact.BlobKey, ct);
        using var reader = new StreamReader(source);
        return await reader.ReadToEndAsync(ct);
    }
}

/// <summary>Publishes scheduled episodes whose time has come (their publish date is the scheduled time, not the pass's).</summary>
public sealed class PublishDueEpisodesCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<int> Run(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Episodes.IgnoreQueryFilters().Where(e => e.Status == EpisodeStatus.Scheduled && e.PublishAt <= now).OrderBy(e => e.PublishAt).Take(100).ToListAsync(ct);
        if (due.Count == 0) return 0;
        foreach (var e in due)
        {
            e.Status = EpisodeStatus.Published;
            e.PublishedAt = e.PublishAt;
            e.PublishAt = null;
            e.UpdatedAt = now;
        }
        var showIds = due.Select(e => e.ShowId).Distinct().ToList();
        foreach (var show in await db.Shows.IgnoreQueryFilters().Where(s => showIds.Contains(s.Id)).ToListAsync(ct)) show.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return due.Count;
    }
}

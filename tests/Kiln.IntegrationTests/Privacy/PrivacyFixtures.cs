using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Podcasts;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Privacy;

/// <summary>Rows and bytes written straight to a host's database and blob store, at the host's clock: finished work without a worker.</summary>
internal sealed class PrivacyFixtures(KilnTestHost host, DateTime now)
{
    private IBlobStore Blobs => host.Services.GetRequiredService<IBlobStore>();

    public async Task<Upload> UploadAsync(Guid workspaceId, Guid? userId, string name = "talk.txt")
    {
        var id = Ids.New();
        var upload = new Upload
        {
            Id = id, WorkspaceId = workspaceId, CreatedByUserId = userId, FileName = name, BlobKey = BlobKeys.Upload(workspaceId, id),
            Status = UploadStatus.Ready, Kind = "text", ContentType = "text/plain", Size = 5, DeclaredSize = 5, CreatedAt = now, ExpiresAt = now.AddHours(2),
        };
        await PutAsync(upload.BlobKey, "bytes");
        await using var db = host.NewDbContext();
        db.Uploads.Add(upload);
        await db.SaveChangesAsync();
        return upload;
    }

    /// <summary>A job finished now, with one artifact (bytes stored) and two events; or a queued one naming <paramref name="input"/>.</summary>
    public async Task<(Job Job, Artifact? Artifact)> JobAsync(Guid workspaceId, Guid? userId, bool finished = true, Guid? input = null)
    {
        var job = new Job
        {
            Id = Ids.New(), WorkspaceId = workspaceId, CreatedByUserId = userId, PipelineId = "sleep", Status = finished ? JobStatus.Succeeded : JobStatus.Queued,
            CreatedAt = now, RunAfter = now, StartedAt = finished ? now : null, FinishedAt = finished ? now : null, TimeoutSeconds = 60,
            InputsJson = input is { } i ? JobInput.Serialize([new JobInput(i)]) : "[]",
        };
        Artifact? artifact = null;
        await using var db = host.NewDbContext();
        db.Jobs.Add(job);
        if (finished)
        {
            artifact = new Artifact
            {
                Id = Ids.New(), JobId = job.Id, WorkspaceId = workspaceId, Name = "out.txt", ContentType = "text/plain", Size = 6,
                BlobKey = BlobKeys.Artifact(workspaceId, job.Id, 1, "out.txt"), Sha256 = new string('0', 64), CreatedAt = now,
            };
            await PutAsync(artifact.BlobKey, "output");
            db.Artifacts.Add(artifact);
            db.JobEvents.Add(new JobEvent { JobId = job.Id, WorkspaceId = workspaceId, Type = "progress", CreatedAt = now });
            db.JobEvents.Add(new JobEvent { JobId = job.Id, WorkspaceId = workspaceId, Type = "status", CreatedAt = now });
        }
        await db.SaveChangesAsync();
        return (job, artifact);
    }

    /// <summary>A show with one episode in <paramref name="status"/> made from the job and the upload.</summary>
    public async Task<Episode> EpisodeAsync(Guid workspaceId, Guid? jobId, Guid? uploadId, EpisodeStatus status = EpisodeStatus.Published)
    {
        var show = new Show
        {
            Id = Ids.New(), WorkspaceId = workspaceId, Slug = "show-" + Guid.NewGuid().ToString("N")[..10], Title = "A show", Category = "Education",
            FeedToken = Guid.NewGuid().ToString("N"), PodcastGuid = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now,
        };
        var episode = new Episode
        {
            Id = Ids.New(), WorkspaceId = workspaceId, ShowId = show.Id, ItemGuid = Guid.NewGuid().ToString(), Title = "One", Status = status,
            JobId = jobId, UploadId = uploadId, PublishedAt = now, CreatedAt = now, UpdatedAt = now,
        };
        await using var db = host.NewDbContext();
        db.Shows.Add(show);
        db.Episodes.Add(episode);
        await db.SaveChangesAsync();
        return episode;
    }

    public bool BlobExists(string key) => File.Exists(Path.Combine(host.BlobPath, key));

    private async Task PutAsync(string key, string text)
    {
        await using var s = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await Blobs.PutAsync(key, s, "text/plain", CancellationToken.None);
    }
}

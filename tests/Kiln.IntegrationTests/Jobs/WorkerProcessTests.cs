using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// Scaled mode for real: PostgreSQL, an S3-protocol server and separate Kiln.Worker processes, with the web host
/// only serving the API.
/// </summary>
public sealed class WorkerProcessTests(PostgresServer pg, S3Server s3) : IClassFixture<S3Server>
{
    private readonly S3Server _s3 = s3;

    [Fact]
    public async Task A_job_whose_worker_is_killed_finishes_on_another_worker_exactly_once()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false, WorkerProcess.S3Settings(_s3));
        var user = await host.SignUpAsync();
        await using var a = WorkerProcess.Start(host.Database, _s3, host.BlobPath, "worker-a");
        var job = (await (await user.Client.CreateJob("sleep", new { seconds = 3, cost = 4, actualCost = 3 })).Json(HttpStatusCode.Created)).Id();
        await WaitUntil(host, job, j => j.Status == JobStatus.Running && j.WorkerId == "worker-a" && j.ProgressPercent > 0, a);

        a.Kill();
        await a.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await using var b = WorkerProcess.Start(host.Database, _s3, host.BlobPath, "worker-b");
        var done = await user.Client.WaitForJob(job, "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", b.Output);
        done.GetProperty("attempt").GetInt32().ShouldBe(2);

        await using var db = host.NewDbContext();
        (await db.Jobs.SingleAsync(j => j.Id == job)).WorkerId.ShouldBe("worker-b");
        var entries = await db.LedgerEntries.Where(e => e.JobId == job).ToListAsync();
        entries.Count(e => e.Kind == LedgerEntryKind.Capture).ShouldBe(1);
        entries.Single(e => e.Kind == LedgerEntryKind.Capture).PostedDelta.ShouldBe(-3);
        (await db.Artifacts.CountAsync(x => x.JobId == job)).ShouldBe(1);
        await DbAssertions.LedgerBalances(db);
        // The killed attempt's scratch directory went with its rescue (both workers share this machine's scratch path).
        Directory.Exists(Path.Combine(Path.GetTempPath(), "kiln-scratch", $"{job:N}-a1")).ShouldBeFalse();

        // One set of artifacts in the bucket: the second attempt's.
        using var s3 = new AmazonS3Client("S3RVER", "S3RVER", new AmazonS3Config { ServiceURL = _s3.ServiceUrl, ForcePathStyle = true });
        var objects = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3Server.Bucket, Prefix = $"ws/{user.WorkspaceId:N}/jobs/{job:N}/" });
        objects.S3Objects.Select(o => o.Key).ShouldBe([$"ws/{user.WorkspaceId:N}/jobs/{job:N}/a2/sleep.txt"]);
        var artifact = (await (await user.Client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK))[0];
        var bytes = await new HttpClient().GetByteArrayAsync(artifact.GetProperty("downloadUrl").GetString());
        System.Text.Encoding.UTF8.GetString(bytes).ShouldBe("slept 3 s\n");
    }

    [Fact]
    public async Task Sigterm_lets_short_jobs_finish_and_hands_long_ones_back()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false, WorkerProcess.S3Settings(_s3));
        var user = await host.SignUpAsync();
        await using var a = WorkerProcess.Start(host.Database, _s3, host.BlobPath, "worker-a", graceSeconds: 4);
        var shortJob = (await (await user.Client.CreateJob("sleep", new { seconds = 2 })).Json(HttpStatusCode.Created)).Id();
        var longJob = (await (await user.Client.CreateJob("sleep", new { seconds = 60 })).Json(HttpStatusCode.Created)).Id();
        await WaitUntil(host, shortJob, j => j.Status == JobStatus.Running, a);
        await WaitUntil(host, longJob, j => j.Status == JobStatus.Running, a);
        var child = await JobLifecycleTests.ChildPid(host, longJob);

        a.Terminate();
        await a.WaitForExitAsync(TimeSpan.FromSeconds(30));

        await using var db = host.NewDbContext();
        var finished = await db.Jobs.SingleAsync(j => j.Id == shortJob);
        finished.Status.ShouldBe(JobStatus.Succeeded, a.Output);
        var handedBack = await db.Jobs.SingleAsync(j => j.Id == longJob);
        handedBack.Status.ShouldBe(JobStatus.Queued, a.Output);
        handedBack.Attempt.ShouldBe(0);
        handedBack.LeaseToken.ShouldBeNull();
        JobLifecycleTests.ProcessExists(child).ShouldBeFalse();
        (await db.CreditHolds.SingleAsync(h => h.JobId == longJob)).Status.ShouldBe(HoldStatus.Open);
    }

    [Fact]
    public async Task Scaled_mode_runs_pdf_podcast_from_a_presigned_s3_upload_on_a_worker_process()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false, WorkerProcess.S3Settings(_s3));
        var user = await host.SignUpAsync();
        var pdf = TestPdf.Create(["Firing schedules\nA bisque firing drives out water slowly before the glaze firing.",
            "Cones and temperature\nPyrometric cones bend at known heat-work, which is what potters actually measure."]);
        var upload = await (await user.Client.UploadAsync("firing.pdf", pdf)).Json(HttpStatusCode.OK);
        upload.GetProperty("status").GetString().ShouldBe("ready");
        await using var worker = WorkerProcess.Start(host.Database, _s3, host.BlobPath, "worker-pdf");
        var job = (await (await user.Client.CreateJob("pdf-podcast", new { audio = true }, [upload.Id()])).Json(HttpStatusCode.Created)).Id();
        var done = await user.Client.WaitForJob(job, "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done + worker.Output);
        // Every background loop of the worker could build its services (a missing registration only shows in the log).
        worker.Output.ShouldNotContain("Unable to resolve service", Case.Insensitive, worker.Output);
        var artifacts = await (await user.Client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK);
        var mp3 = artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "podcast.mp3");
        mp3.GetProperty("contentType").GetString().ShouldBe("audio/mpeg");
        var bytes = await new HttpClient().GetByteArrayAsync(mp3.GetProperty("downloadUrl").GetString());
        bytes.Length.ShouldBe((int)mp3.GetProperty("size").GetInt64());
        (bytes[0] == 'I' && bytes[1] == 'D' && bytes[2] == '3' || (bytes[0] == 0xFF && (bytes[1] & 0xE0) == 0xE0)).ShouldBeTrue();
    }

    private static async Task WaitUntil(KilnTestHost host, Guid id, Func<Job, bool> condition, WorkerProcess worker)
    {
        for (var i = 0; i < 300; i++)
        {
            await using var db = host.NewDbContext();
            var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
            if (condition(job)) return;
            if (worker.HasExited) throw new InvalidOperationException("The worker exited:\n" + worker.Output);
            await Task.Delay(100);
        }
        throw new TimeoutException("Condition not reached. Worker output:\n" + worker.Output);
    }
}

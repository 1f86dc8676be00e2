using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Kiln.Core.Jobs.Runner;
using Kiln.Core.Storage;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// Found by the chaos harness (bench/chaos): a worker killed mid-job left its attempt's artifact blobs and its scratch
/// directory behind for good, and a blob delete that failed while S3 was down turned into a failed job.
/// </summary>
public sealed class LostAttemptTests(PostgresServer pg, S3Server s3) : IClassFixture<S3Server>
{
    [Fact]
    public async Task The_rescuer_removes_a_lost_attempts_blobs_and_scratch_directory_and_retries_deletes_the_store_refused()
    {
        await using var gate = new TcpGate(s3.Port);
        var scratch = Directory.CreateTempSubdirectory("kiln-lost-scratch-").FullName;
        var settings = WorkerProcess.S3Settings(s3);
        settings["Kiln:Storage:S3:ServiceUrl"] = $"http://127.0.0.1:{gate.Port}";
        settings["Kiln:Worker:ScratchPath"] = scratch;
        settings["Kiln:Jobs:RescueIntervalSeconds"] = "0.1";
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, settings);
        var user = await host.SignUpAsync();
        var finished = (await (await user.Client.CreateJob("noop", new { cost = 2 })).Json(HttpStatusCode.Created)).Id();
        var requeued = (await (await user.Client.CreateJob("noop", new { cost = 3 })).Json(HttpStatusCode.Created)).Id();
        await using (var db = host.NewDbContext())
            await db.Jobs.Where(j => j.Id == finished).ExecuteUpdateAsync(s => s.SetProperty(j => j.MaxAttempts, 1));
        await using var scope = host.Services.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<JobQueue>().ClaimAsync("worker-killed", 2, default)).Count.ShouldBe(2);

        // What the killed worker had written: an artifact of its attempt, a checkpoint, its scratch directory.
        var blobs = host.Services.GetRequiredService<IBlobStore>();
        var ws = user.WorkspaceId;
        string[] finishedKeys = [$"{BlobKeys.JobPrefix(ws, finished)}a1/partial.txt", $"{BlobKeys.JobPrefix(ws, finished)}checkpoints/step/state.json"];
        var requeuedKey = $"{BlobKeys.JobPrefix(ws, requeued)}a1/partial.txt";
        foreach (var key in finishedKeys.Append(requeuedKey))
            await blobs.PutAsync(key, new MemoryStream("x"u8.ToArray()), "text/plain", default);
        foreach (var job in new[] { finished, requeued }) Directory.CreateDirectory(Path.Combine(scratch, $"{job:N}-a1", "input"));
        // And one no rescue will ever name: an attempt that was rescued while its process still ran, wrote again, then died.
        var zombie = Directory.CreateDirectory(Path.Combine(scratch, $"{requeued:N}-a7")).FullName;
        // And one of a job this database does not know (another installation or test sharing the path): not ours to judge.
        var foreign = Directory.CreateDirectory(Path.Combine(scratch, $"{Guid.NewGuid():N}-a1")).FullName;
        foreach (var dir in Directory.EnumerateDirectories(scratch)) Directory.SetLastWriteTimeUtc(dir, DateTime.UtcNow.AddMinutes(-5));

        var leftovers = host.Services.GetRequiredService<AttemptLeftovers>();
        var rescuer = ActivatorUtilities.CreateInstance<LeaseRescuer>(host.Services);
        await rescuer.StartAsync(default);
        try
        {
            // The store is down when the first lease expires: the job still fails (attempts exhausted), the deletes wait.
            gate.Close();
            await ExpireLease(host, finished);
            await Until(async () => (await Status(host, finished)) == JobStatus.Failed && leftovers.Pending >= 2, "the lost attempt rescued, its deletes pending");
            Directory.Exists(Path.Combine(scratch, $"{finished:N}-a1")).ShouldBeFalse();
            Directory.Exists(zombie).ShouldBeFalse("the sweep removes directories of attempts that are not running");
            Directory.Exists(Path.Combine(scratch, $"{requeued:N}-a1")).ShouldBeTrue("a running attempt's directory stays, however old");
            Directory.Exists(foreign).ShouldBeTrue("a directory of a job this database does not know stays (the day-old sweep takes it)");
            (await Keys(ws, finished)).Count.ShouldBe(2, "nothing could be deleted while the store was down");

            // The store is back: the pending deletes go through, and the next lost attempt is cleaned at once.
            gate.Open();
            await ExpireLease(host, requeued);
            await Until(async () => (await Status(host, requeued)) == JobStatus.Queued && (await Keys(ws, requeued)).Count == 0 && (await Keys(ws, finished)).Count == 0,
                "the second attempt rescued, every blob of both lost attempts deleted");
            leftovers.Pending.ShouldBe(0);
            Directory.EnumerateDirectories(scratch).ShouldBe([foreign]);
        }
        finally
        {
            await rescuer.StopAsync(default);
            rescuer.Dispose();
            Directory.Delete(scratch, recursive: true);
        }
        await using var check = host.NewDbContext();
        (await check.Jobs.SingleAsync(j => j.Id == finished)).ErrorCode.ShouldBe("attempts_exhausted");
        await DbAssertions.LedgerBalances(check);
    }

    [Fact]
    public async Task A_job_waits_for_the_blob_store_to_come_back_instead_of_spending_its_attempts()
    {
        await using var gate = new TcpGate(s3.Port);
        var settings = WorkerProcess.S3Settings(s3);
        settings["Kiln:Storage:S3:ServiceUrl"] = $"http://127.0.0.1:{gate.Port}";
        settings["Kiln:Jobs:OutageRetrySeconds"] = "0.2";
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: true, settings);
        var user = await host.SignUpAsync();

        gate.Close(); // the sleep pipeline's artifact cannot be stored
        var job = (await (await user.Client.CreateJob("sleep", new { seconds = 1, cost = 2 })).Json(HttpStatusCode.Created)).Id();
        await Until(async () =>
        {
            await using var db = host.NewDbContext();
            (await db.Jobs.SingleAsync(j => j.Id == job)).Status.ShouldNotBe(JobStatus.Failed, "an outage of the store is not the job's failure");
            return await db.JobEvents.CountAsync(e => e.JobId == job && e.Type == JobEventTypes.Status && e.DataJson.Contains("storage_unavailable")) > 3;
        }, "more storage outages than the job has attempts");

        gate.Open();
        var done = await user.Client.WaitForJob(job, "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded");
        // (More outages than MaxAttempts and still a success is the proof that waiting spent no attempt; the attempt
        // number itself is not asserted, since a starved CI machine may also let a lease expire.)
        var artifact = (await (await user.Client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK))[0];
        using var http = new HttpClient();
        (await http.GetStringAsync(artifact.GetProperty("downloadUrl").GetString())).ShouldBe("slept 1 s\n");
        await using var check = host.NewDbContext();
        await DbAssertions.LedgerBalances(check);
    }

    private static async Task ExpireLease(KilnTestHost host, Guid job)
    {
        await using var db = host.NewDbContext();
        await db.Jobs.Where(j => j.Id == job).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
    }

    private static async Task<JobStatus> Status(KilnTestHost host, Guid job)
    {
        await using var db = host.NewDbContext();
        return await db.Jobs.Where(j => j.Id == job).Select(j => j.Status).SingleAsync();
    }

    private async Task<List<string>> Keys(Guid ws, Guid job)
    {
        using var client = new AmazonS3Client("S3RVER", "S3RVER", new AmazonS3Config { ServiceURL = s3.ServiceUrl, ForcePathStyle = true });
        var list = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3Server.Bucket, Prefix = BlobKeys.JobPrefix(ws, job) });
        return list.S3Objects?.Select(o => o.Key).ToList() ?? [];
    }

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(50))
            if (await condition()) return;
        throw new TimeoutException($"never: {what}");
    }
}

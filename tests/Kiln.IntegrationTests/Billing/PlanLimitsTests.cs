using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Jobs;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Billing;

public sealed class PlanLimitsTests(PostgresServer pg)
{
    private static readonly Dictionary<string, string?> FreeOnlyNoop = new()
    {
        ["Kiln:Billing:Plans:0:Id"] = "free",
        ["Kiln:Billing:Plans:0:Name"] = "Free",
        ["Kiln:Billing:Plans:0:MaxConcurrentJobs"] = "2",
        ["Kiln:Billing:Plans:0:MaxUploadBytes"] = "1000000",
        ["Kiln:Billing:Plans:0:ArtifactRetentionDays"] = "3",
        ["Kiln:Billing:Plans:0:AllowedPipelines:0"] = "noop",
        ["Kiln:Billing:Plans:0:AllowedPipelines:1"] = "sleep",
    };

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Plan_limits_apply_at_upload_and_job_creation(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, FreeOnlyNoop);
        var user = await host.SignUpAsync();
        var problem = await (await user.Client.PostAsJsonAsync("/api/uploads", new { fileName = "big.pdf", size = 2_000_000, contentType = "application/pdf" }))
            .Problem(HttpStatusCode.RequestEntityTooLarge, "upload_too_large");
        problem.GetProperty("title").GetString()!.ShouldContain("plan");
        await (await user.Client.CreateJob("fail")).Problem(HttpStatusCode.Forbidden, "plan_pipeline_not_allowed");
        (await user.Client.CreateJob("noop")).StatusCode.ShouldBe(HttpStatusCode.Created);
        await using var db = host.NewDbContext();
        (await db.Jobs.CountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task Audio_longer_than_the_plan_takes_is_refused_before_anything_is_held()
    {
        var settings = new Dictionary<string, string?>(FreeOnlyNoop)
        {
            ["Kiln:Billing:Plans:0:AllowedPipelines:2"] = "study-notes",
            ["Kiln:Billing:Plans:0:MaxMediaMinutes"] = "1",
        };
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, settings);
        var user = await host.SignUpAsync();
        var dir = Directory.CreateTempSubdirectory("kiln-plan-media-");
        try
        {
            async Task<Guid> Silence(int seconds)
            {
                var path = Path.Combine(dir.FullName, $"{seconds}s.ogg");
                (await new Kiln.Core.Media.ProcessRunner().RunAsync(new Kiln.Core.Media.ProcessSpec("ffmpeg",
                    ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", $"{seconds}", "-c:a", "libopus", "-b:a", "6k", path]), default)).ExitCode.ShouldBe(0);
                return await user.Client.UploadReadyAsync($"lecture-{seconds}s.ogg", await File.ReadAllBytesAsync(path));
            }
            var longOne = await Silence(90);
            var problem = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", inputs = new { media = longOne } }))
                .Problem(HttpStatusCode.UnprocessableEntity, "input_too_long");
            problem.GetProperty("title").GetString()!.ShouldContain("your plan (Free) takes audio and video up to 1 minutes");
            problem.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
            problem.GetProperty("slot").GetString().ShouldBe("media");
            var shortOne = await Silence(30);
            (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "study-notes", inputs = new { media = shortOne } })).StatusCode.ShouldBe(HttpStatusCode.OK);
            await using var db = host.NewDbContext();
            (await db.Jobs.CountAsync()).ShouldBe(0);
            (await db.CreditHolds.CountAsync()).ShouldBe(0);
        }
        finally { dir.Delete(true); }
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Artifacts_past_the_plans_retention_are_deleted_with_their_bytes(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: true, FreeOnlyNoop);
        var user = await host.SignUpAsync();
        var oldJob = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        var newJob = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        await user.Client.WaitForJob(oldJob, "succeeded");
        await user.Client.WaitForJob(newJob, "succeeded");
        await using (var db = host.NewDbContext())
            await db.Artifacts.Where(a => a.JobId == oldJob).ExecuteUpdateAsync(s => s.SetProperty(a => a.CreatedAt, DateTime.UtcNow.AddDays(-4)));
        string oldKey;
        await using (var db = host.NewDbContext()) oldKey = await db.Artifacts.Where(a => a.JobId == oldJob).Select(a => a.BlobKey).SingleAsync();

        await using var scope = host.Services.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<Kiln.Core.Privacy.PurgeCommand>().RunAsync(100, default)).Count(i => i.Kind == Kiln.Core.Privacy.PurgeKind.Artifact).ShouldBe(1);

        (await (await user.Client.GetAsync($"/api/jobs/{oldJob}/artifacts")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(0);
        (await (await user.Client.GetAsync($"/api/jobs/{newJob}/artifacts")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(1);
        File.Exists(Path.Combine(host.BlobPath, oldKey)).ShouldBeFalse();
    }
}

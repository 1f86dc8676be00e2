using System.Net;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Pipelines;

/// <summary>
/// A worker claims only the pipelines whose tools it has: a job for a pipeline no live worker can run stays queued and
/// says what it waits for, instead of failing; the worker goes on running everything else.
/// </summary>
public sealed class WorkerCapabilityTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_job_no_worker_can_run_waits_and_says_why(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: new Dictionary<string, string?>
        {
            ["Kiln:CommandPipelines:needs-tool:Name"] = "Needs a tool",
            ["Kiln:CommandPipelines:needs-tool:Executable"] = "/opt/kiln-test-missing/tool",
            ["Kiln:CommandPipelines:needs-tool:Price:Credits"] = "1",
        });
        var user = await host.SignUpAsync();

        var waiting = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "needs-tool" })).Json(HttpStatusCode.Created);
        var noop = await (await user.Client.CreateJob("noop")).Json(HttpStatusCode.Created);
        (await user.Client.WaitForJob(noop.Id(), "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded");

        string? reason = null;
        for (var i = 0; i < 100 && reason is null; i++)
        {
            var job = await (await user.Client.GetAsync($"/api/jobs/{waiting.Id()}")).Json(HttpStatusCode.OK);
            job.GetProperty("status").GetString().ShouldBe("queued");
            reason = job.TryGetProperty("waitingFor", out var w) && w.ValueKind == System.Text.Json.JsonValueKind.String ? w.GetString() : null;
            if (reason is null || !reason.Contains("Needs a tool", StringComparison.Ordinal)) { reason = null; await Task.Delay(100); }
        }
        reason.ShouldNotBeNull().ShouldContain("Waiting for a worker that can run Needs a tool");
        var browser = await PageClient.SignInAsync(host, user.Email);
        (await browser.Client.GetStringAsync($"/jobs/{waiting.Id()}")).ShouldContain("Waiting for a worker that can run Needs a tool");
        (await (await user.Client.GetAsync($"/api/jobs/{noop.Id()}")).Json(HttpStatusCode.OK)).TryGetProperty("waitingFor", out var none).ShouldBeTrue();
        none.ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);

        // The operator sees the command pipeline, where it comes from and what is missing.
        var admin = await host.SignUpAsync(admin: true);
        var operatorPages = await PageClient.SignInAsync(host, admin.Email);
        var html = await operatorPages.Client.GetStringAsync("/admin/pipelines");
        html.ShouldContain("needs-tool");
        html.ShouldContain("/opt/kiln-test-missing/tool");
        html.ShouldContain("missing here: /opt/kiln-test-missing/tool");
    }

    [Fact]
    public async Task A_worker_runs_one_heavy_job_at_a_time_beside_light_ones()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, overrides: new Dictionary<string, string?>
        {
            ["Kiln:Worker:Concurrency"] = "3",
            ["Kiln:CommandPipelines:slow-heavy:Name"] = "Slow heavy work",
            ["Kiln:CommandPipelines:slow-heavy:Executable"] = "/bin/sh",
            ["Kiln:CommandPipelines:slow-heavy:Arguments:0"] = "-c",
            ["Kiln:CommandPipelines:slow-heavy:Arguments:1"] = "echo begin; sleep 1.5; echo end",
            ["Kiln:CommandPipelines:slow-heavy:ResourceClass"] = "heavy",
            ["Kiln:CommandPipelines:slow-heavy:Price:Credits"] = "1",
        });
        var user = await host.SignUpAsync();
        await using (var db = host.NewDbContext())
            await db.Workspaces.Where(w => w.Id == user.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.MaxConcurrentJobs, 3));

        var heavy = new List<Guid>();
        for (var i = 0; i < 2; i++) heavy.Add((await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "slow-heavy" })).Json(HttpStatusCode.Created)).Id());
        var light = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        foreach (var id in heavy.Append(light))
            (await user.Client.WaitForJob(id, "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded");

        await using var check = host.NewDbContext();
        var spans = new List<(DateTime Begin, DateTime End)>();
        foreach (var id in heavy)
        {
            var lines = await check.JobEvents.Where(e => e.JobId == id && e.Type == "log").OrderBy(e => e.Id).ToListAsync();
            spans.Add((lines.First(e => e.DataJson.Contains("begin")).CreatedAt, lines.First(e => e.DataJson.Contains("end")).CreatedAt));
        }
        // The two heavy runs did not overlap: one began only after the other ended.
        (spans[0].End <= spans[1].Begin || spans[1].End <= spans[0].Begin).ShouldBeTrue(string.Join("; ", spans));
    }
}

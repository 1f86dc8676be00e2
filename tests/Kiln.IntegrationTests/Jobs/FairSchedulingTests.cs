using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// Claims rotate across workspaces: a deep backlog at its cap (even one submitted at the highest priority) does not
/// hold back another workspace's jobs, priority orders jobs only within a workspace, and a plan's scheduling weight
/// gives its workspaces a proportionally larger share of contended slots.
/// </summary>
public sealed class FairSchedulingTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_deep_backlog_at_its_cap_does_not_hold_back_another_workspace(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var a = await host.SignUpAsync();
        var b = await host.SignUpAsync();
        await using (var db = host.NewDbContext())
        {
            await db.Workspaces.Where(w => w.Id == a.WorkspaceId || w.Id == b.WorkspaceId)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.MaxConcurrentJobs, 2));
            // Workspace A's backlog: 3,000 jobs queued before B's, at the highest priority a caller can ask for.
            var early = DateTime.UtcNow.AddMinutes(-10);
            db.Jobs.AddRange(Enumerable.Range(0, 3000).Select(i => new Job
            {
                Id = Guid.NewGuid(), WorkspaceId = a.WorkspaceId, PipelineId = "noop", Status = JobStatus.Queued, Priority = 10,
                RunAfter = early.AddMilliseconds(i), CreatedAt = early.AddMilliseconds(i), TimeoutSeconds = 60,
            }));
            await db.SaveChangesAsync();
        }
        var bJobs = new List<Guid>();
        for (var i = 0; i < 10; i++)
            bJobs.Add((await (await b.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "noop", priority = -10 })).Json(HttpStatusCode.Created)).Id());

        await using var scope = host.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();

        // Four worker slots: both workspaces get their two, whatever A's depth and priority.
        var first = await queue.ClaimAsync("w", 4, default);
        first.Count(j => j.WorkspaceId == a.WorkspaceId).ShouldBe(2);
        first.Count(j => j.WorkspaceId == b.WorkspaceId).ShouldBe(2);

        // A's two keep running (A stays at its cap); B's finish and B's next ones start, until all ten are done.
        var bDone = 0;
        var running = first.Where(j => j.WorkspaceId == b.WorkspaceId).ToList();
        for (var round = 0; round < 10 && running.Count > 0; round++)
        {
            foreach (var job in running)
            {
                (await queue.SucceedAsync(job, job.LeaseToken!.Value, 0, [], default)).ShouldBeTrue();
                bDone++;
            }
            running = await queue.ClaimAsync("w", 2, default);
            running.ShouldAllBe(j => j.WorkspaceId == b.WorkspaceId);
        }
        bDone.ShouldBe(10);

        await using var check = host.NewDbContext();
        (await check.Jobs.CountAsync(j => j.WorkspaceId == a.WorkspaceId && j.Status == JobStatus.Queued)).ShouldBe(2998);
        (await check.Jobs.CountAsync(j => bJobs.Contains(j.Id) && j.Status == JobStatus.Succeeded)).ShouldBe(10);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_plan_with_twice_the_weight_gets_twice_the_contended_slots(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false,
            new Dictionary<string, string?> { ["Kiln:Jobs:SchedulingWeights:Pro"] = "2" });
        var heavy = await host.SignUpAsync();
        var light = await host.SignUpAsync();
        await using (var db = host.NewDbContext())
        {
            await db.Workspaces.Where(w => w.Id == heavy.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Plan, "pro").SetProperty(w => w.MaxConcurrentJobs, 20));
            await db.Workspaces.Where(w => w.Id == light.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.MaxConcurrentJobs, 20));
            var t = DateTime.UtcNow.AddMinutes(-5);
            foreach (var (ws, offset) in new[] { (heavy.WorkspaceId, 0), (light.WorkspaceId, 1000) })
                db.Jobs.AddRange(Enumerable.Range(0, 20).Select(i => new Job
                {
                    Id = Guid.NewGuid(), WorkspaceId = ws, PipelineId = "noop", Status = JobStatus.Queued,
                    RunAfter = t.AddMilliseconds(offset + i), CreatedAt = t, TimeoutSeconds = 60,
                }));
            await db.SaveChangesAsync();
        }

        await using var scope = host.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
        var claimed = await queue.ClaimAsync("w", 6, default);
        claimed.Count(j => j.WorkspaceId == heavy.WorkspaceId).ShouldBe(4);
        claimed.Count(j => j.WorkspaceId == light.WorkspaceId).ShouldBe(2);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Priority_orders_jobs_within_a_workspace_only(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var loud = await host.SignUpAsync();
        var quiet = await host.SignUpAsync();
        // The quiet workspace queued first at priority 0; the loud one queues later at priority 10.
        var quietJob = (await (await quiet.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "noop", priority = 0 })).Json(HttpStatusCode.Created)).Id();
        var loudLow = (await (await loud.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "noop", priority = 0 })).Json(HttpStatusCode.Created)).Id();
        var loudHigh = (await (await loud.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "noop", priority = 10 })).Json(HttpStatusCode.Created)).Id();

        await using var scope = host.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
        // One slot: the quiet workspace's job has waited longest and neither workspace runs anything.
        (await queue.ClaimAsync("w", 1, default)).ShouldHaveSingleItem().Id.ShouldBe(quietJob);
        // Next slot: the loud workspace, and within it its own priority decides.
        (await queue.ClaimAsync("w", 1, default)).ShouldHaveSingleItem().Id.ShouldBe(loudHigh);
        (await queue.ClaimAsync("w", 1, default)).ShouldHaveSingleItem().Id.ShouldBe(loudLow);
    }
}

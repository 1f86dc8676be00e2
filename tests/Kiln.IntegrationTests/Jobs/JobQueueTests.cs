using System.Net.Http.Json;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Jobs;

public sealed class JobQueueTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_worker_whose_lease_expired_can_neither_complete_nor_heartbeat(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var id = (await (await user.Client.CreateJob("noop", new { cost = 2 })).Json(System.Net.HttpStatusCode.Created)).Id();

        await using var scope = host.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
        var first = (await queue.ClaimAsync("worker-a", 1, default)).ShouldHaveSingleItem();
        var oldLease = first.LeaseToken!.Value;

        // The lease runs out (worker A stalls); the rescuer requeues the job and worker B claims it.
        await using (var db = host.NewDbContext())
            await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        (await queue.RescueExpiredAsync(default)).ShouldBe(1);
        await using (var db = host.NewDbContext())
            await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.RunAfter, DateTime.UtcNow.AddSeconds(-1)));
        var second = (await queue.ClaimAsync("worker-b", 1, default)).ShouldHaveSingleItem();
        second.Attempt.ShouldBe(2);

        (await queue.HeartbeatAsync(id, oldLease, default)).ShouldBeNull();
        // The holder's beat renews the lease and answers the cancel flag in the same statement.
        await using (var db = host.NewDbContext())
            await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddMinutes(-10)));
        (await queue.HeartbeatAsync(id, second.LeaseToken!.Value, default)).ShouldBe(false);
        await using (var db = host.NewDbContext())
        {
            (await db.Jobs.SingleAsync(j => j.Id == id)).LeaseExpiresAt!.Value.ShouldBeGreaterThan(DateTime.UtcNow.AddMinutes(-1));
            await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true));
        }
        (await queue.HeartbeatAsync(id, second.LeaseToken!.Value, default)).ShouldBe(true);
        await using (var db = host.NewDbContext())
            await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, false));
        (await queue.ProgressAsync(first, oldLease, 50, "x", null, default)).ShouldBeFalse();
        (await queue.SucceedAsync(first, oldLease, 2, [], default)).ShouldBeFalse();
        (await queue.FailAsync(first, oldLease, "x", "x", false, default)).ShouldBeFalse();
        (await queue.SucceedAsync(second, second.LeaseToken!.Value, 1, [], default)).ShouldBeTrue();

        await using var check = host.NewDbContext();
        (await check.Jobs.SingleAsync(j => j.Id == id)).Status.ShouldBe(JobStatus.Succeeded);
        (await check.LedgerEntries.CountAsync(e => e.JobId == id && e.Kind == LedgerEntryKind.Capture)).ShouldBe(1);
        await DbAssertions.LedgerBalances(check);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Exhausted_attempts_fail_the_job_and_release_the_hold(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var id = (await (await user.Client.CreateJob("noop", new { cost = 5 })).Json(System.Net.HttpStatusCode.Created)).Id();
        await using var scope = host.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await using (var db = host.NewDbContext())
                await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.RunAfter, DateTime.UtcNow.AddSeconds(-1)));
            (await queue.ClaimAsync($"w{attempt}", 1, default)).ShouldHaveSingleItem().Attempt.ShouldBe(attempt);
            await using (var db = host.NewDbContext())
                await db.Jobs.Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
            (await queue.RescueExpiredAsync(default)).ShouldBe(1);
        }
        await using var check = host.NewDbContext();
        var job = await check.Jobs.SingleAsync(j => j.Id == id);
        job.Status.ShouldBe(JobStatus.Failed);
        job.ErrorCode.ShouldBe("attempts_exhausted");
        (await check.CreditHolds.SingleAsync(h => h.JobId == id)).Status.ShouldBe(HoldStatus.Released);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Claims_respect_priority_and_the_workspace_cap(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        await using (var db = host.NewDbContext())
            await db.Workspaces.Where(w => w.Id == user.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.MaxConcurrentJobs, 2));
        var low = (await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "noop", priority = 0 })).Json(System.Net.HttpStatusCode.Created)).Id();
        var high = (await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "noop", priority = 5 })).Json(System.Net.HttpStatusCode.Created)).Id();
        var third = (await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "noop", priority = 1 })).Json(System.Net.HttpStatusCode.Created)).Id();

        await using var scope = host.Services.CreateAsyncScope();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
        var claimed = await queue.ClaimAsync("w", 10, default);
        claimed.Select(j => j.Id).ShouldBe([high, third], ignoreOrder: true);
        (await queue.ClaimAsync("w", 10, default)).ShouldBeEmpty();
        _ = low;
    }
}

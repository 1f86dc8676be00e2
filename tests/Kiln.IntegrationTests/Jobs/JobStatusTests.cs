using System.Net;
using Kiln.Core.Jobs;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Jobs;

/// <summary><c>GET /api/jobs/{id}</c> answers the job with its sub-tasks, in order, and only in its own workspace.</summary>
public sealed class JobStatusTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_job_is_read_with_its_subtasks_in_order_and_a_foreign_one_is_not_found(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        var stranger = await host.SignUpAsync();
        var plain = (await (await owner.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        var job = (await (await owner.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        var now = DateTime.UtcNow;
        await using (var db = host.NewDbContext())
        {
            foreach (var (key, ordinal, stage) in new[] { ("es", 2, "done"), ("ca", 1, "failed"), ("gl", 2, "running") })
                db.JobSubtasks.Add(new JobSubtask
                {
                    Id = Guid.NewGuid(), JobId = job, WorkspaceId = owner.WorkspaceId, Key = key, Label = key.ToUpperInvariant(), Ordinal = ordinal,
                    Stage = stage, Progress = 50, Cost = 2, CreatedAt = now, UpdatedAt = now,
                });
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var read = await (await owner.Client.GetAsync($"/api/jobs/{job}")).Json(HttpStatusCode.OK);
        read.Id().ShouldBe(job);
        read.GetProperty("status").GetString().ShouldBe("queued");
        read.GetProperty("subtasks").EnumerateArray().Select(s => s.GetProperty("languageCode").GetString()).ShouldBe(["ca", "es", "gl"]);
        read.GetProperty("totalLanguages").GetInt32().ShouldBe(3);
        read.GetProperty("completedLanguages").GetInt32().ShouldBe(1);

        var none = await (await owner.Client.GetAsync($"/api/jobs/{plain}")).Json(HttpStatusCode.OK);
        none.GetProperty("subtasks").GetArrayLength().ShouldBe(0);
        await (await stranger.Client.GetAsync($"/api/jobs/{job}")).Problem(HttpStatusCode.NotFound, "not_found");
    }
}

using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Notes;
using Kiln.Core.Privacy;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Privacy;

/// <summary>Export my data (art. 15/20) and delete my account (art. 17), on both databases.</summary>
public sealed class AccountDataTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_export_holds_the_profile_ledger_jobs_notes_shows_uploads_and_artifacts(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var ada = await host.SignUpAsync();
        var make = new PrivacyFixtures(host, DateTime.UtcNow);
        var pdf = TestFiles.Pdf(1);
        var upload = await ada.Client.UploadReadyAsync("paper.pdf", pdf);
        var (job, artifact) = await make.JobAsync(ada.WorkspaceId, ada.UserId);
        await make.EpisodeAsync(ada.WorkspaceId, job.Id, upload);
        await AddNoteAsync(host, ada.WorkspaceId, ada.UserId, "Photosynthesis", "# Photosynthesis\n\nLight in, sugar out.");

        var requested = await (await ada.Client.PostAsync("/api/account/exports", null)).Json(HttpStatusCode.Accepted);
        await (await ada.Client.PostAsync("/api/account/exports", null)).Problem(HttpStatusCode.Conflict, "export_in_progress");
        await using (var scope = host.Services.CreateAsyncScope())
            (await scope.ServiceProvider.GetRequiredService<RunDataExportsCommand>().RunOnceAsync(default)).ShouldBeTrue();
        var exports = await (await ada.Client.GetAsync("/api/account/exports")).Json(HttpStatusCode.OK);
        exports[0].GetProperty("status").GetString().ShouldBe("ready");
        var stranger = await host.SignUpAsync();
        await (await stranger.Client.GetAsync($"/api/account/exports/{requested.Id()}/download")).Problem(HttpStatusCode.NotFound, "not_found");

        var zipBytes = await ada.Client.GetByteArrayAsync(exports[0].GetProperty("downloadUrl").GetString());
        using var zip = new ZipArchive(new MemoryStream(zipBytes));
        string Text(string name) => new StreamReader(zip.GetEntry(name)!.Open()).ReadToEnd();
        JsonElement Doc(string name) => JsonDocument.Parse(Text(name)).RootElement;

        Doc("profile.json").GetProperty("email").GetString().ShouldBe(ada.Email);
        Text("profile.json").ShouldNotContain("passwordHash", Case.Insensitive);
        Doc("ledger.json").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldContain("grant");
        Doc("jobs.json").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ShouldBe([job.Id]);
        Text("notes/Photosynthesis.md").ShouldContain("Light in, sugar out.");
        Doc("shows.json")[0].GetProperty("episodes")[0].GetProperty("jobId").GetGuid().ShouldBe(job.Id);
        Doc("memberships.json")[0].GetProperty("role").GetString().ShouldBe("owner");
        var uploadEntry = zip.GetEntry($"uploads/{upload:N}/paper.pdf")!;
        using (var copy = new MemoryStream()) { await uploadEntry.Open().CopyToAsync(copy); copy.ToArray().ShouldBe(pdf); }
        Text($"artifacts/{job.Id:N}/{artifact!.Name}").ShouldBe("output");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Deleting_an_account_leaves_no_row_or_blob_of_the_person_and_the_ledger_balances(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var ada = await host.SignUpAsync();
        var bob = await host.SignUpAsync();
        var make = new PrivacyFixtures(host, DateTime.UtcNow);
        var upload = await ada.Client.UploadReadyAsync("paper.pdf", TestFiles.Pdf(1));
        await make.JobAsync(ada.WorkspaceId, ada.UserId);
        await AddNoteAsync(host, ada.WorkspaceId, ada.UserId, "Mine", "# Mine");
        await (await ada.Client.PostAsync("/api/account/exports", null)).Json(HttpStatusCode.Accepted);
        await using (var scope = host.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RunDataExportsCommand>().RunOnceAsync(default);
        await (await ada.Client.PostAsJsonAsync("/api/api-keys", new { name = "script" })).Json(HttpStatusCode.Created);
        // Ada's work in a team she owns, and in Bob's workspace.
        var team = (await (await ada.Client.PostAsJsonAsync("/api/workspaces", new { name = "Studio" })).Json(HttpStatusCode.Created)).Id();
        var (teamJob, _) = await make.JobAsync(team, ada.UserId);
        await KilnTestHost.JoinAsync(bob, ada);
        var (bobsJob, _) = await make.JobAsync(bob.WorkspaceId, ada.UserId);
        await (await ada.Client.PostAsync($"/api/workspaces/{team}/switch", null)).Json(HttpStatusCode.OK);

        await (await ada.Client.PostAsJsonAsync("/api/account/deletion", new { password = "wrong password" })).Problem(HttpStatusCode.BadRequest, "wrong_password");
        var blocked = await (await ada.Client.PostAsJsonAsync("/api/account/deletion", new { password = KilnTestHost.Password })).Problem(HttpStatusCode.Conflict, "owns_team_workspaces");
        blocked.GetProperty("workspaces")[0].GetString().ShouldBe("Studio");
        await KilnTestHost.JoinAsync(ada, bob);
        await (await ada.Client.PostAsJsonAsync("/api/workspace/ownership", new { userId = bob.UserId })).Json(HttpStatusCode.OK);

        var pending = await (await ada.Client.PostAsJsonAsync("/api/account/deletion", new { password = KilnTestHost.Password })).Json(HttpStatusCode.OK);
        pending.GetProperty("pending").GetBoolean().ShouldBeTrue();
        pending.GetProperty("dueAt").GetDateTime().ShouldBe(DateTime.UtcNow.AddDays(7), TimeSpan.FromMinutes(5));
        (await (await ada.Client.DeleteAsync("/api/account/deletion")).Json(HttpStatusCode.OK)).GetProperty("pending").GetBoolean().ShouldBeFalse();
        await (await ada.Client.DeleteAsync("/api/account/deletion")).Problem(HttpStatusCode.NotFound, "deletion_not_pending");
        await (await ada.Client.PostAsJsonAsync("/api/account/deletion", new { password = KilnTestHost.Password })).Json(HttpStatusCode.OK);

        // Not due yet: nothing happens. Due: the account goes.
        async Task<int> RunDue()
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RunDueDeletionsCommand>().RunAsync(default);
        }
        (await RunDue()).ShouldBe(0);
        await using (var db = host.NewDbContext())
            await db.Users.Where(u => u.Id == ada.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.DeletionDueAt, DateTime.UtcNow.AddMinutes(-1)));
        (await RunDue()).ShouldBe(1);

        (await ada.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = KilnTestHost.Password })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        Directory.Exists(Path.Combine(host.BlobPath, BlobPrefix(ada.WorkspaceId))).ShouldBeFalse();
        await using (var db = host.NewDbContext())
        {
            var left = await RowsNaming(db, ada.UserId, ada.WorkspaceId);
            left.ShouldBeEmpty();
            // The team and Bob's workspace keep the work, without its author; the ledger of the deleted workspace stays and balances.
            (await db.Jobs.Where(j => j.Id == teamJob.Id || j.Id == bobsJob.Id).Select(j => j.CreatedByUserId).ToListAsync()).ShouldBe([null, null]);
            (await db.LedgerEntries.IgnoreQueryFilters().AnyAsync(e => e.WorkspaceId == ada.WorkspaceId)).ShouldBeTrue();
            await DbAssertions.LedgerBalances(db);
        }
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_owner_deletes_a_team_workspace_by_its_name_after_its_jobs_end_its_rows_and_files_go_and_the_ledger_stays(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var ada = await host.SignUpAsync();
        var bob = await host.SignUpAsync();
        var op = await host.SignUpAsync(admin: true);
        var make = new PrivacyFixtures(host, DateTime.UtcNow);
        var team = (await (await ada.Client.PostAsJsonAsync("/api/workspaces", new { name = "Studio" })).Json(HttpStatusCode.Created)).Id();
        await KilnTestHost.JoinAsync(new TestUser(ada.Email, ada.Client, team, ada.UserId), bob);
        await ada.Client.UploadReadyAsync("paper.pdf", TestFiles.Pdf(1));
        await make.JobAsync(team, bob.UserId);
        var (running, _) = await make.JobAsync(team, ada.UserId, finished: false);
        await AddNoteAsync(host, team, bob.UserId, "Team note", "# Team");
        (await op.Client.PostAsJsonAsync("/api/admin/credits/grant", new { workspaceId = team, amount = 40, reason = "team trial" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        Directory.Exists(Path.Combine(host.BlobPath, BlobPrefix(team))).ShouldBeTrue();

        // Account deletion is refused while Ada is the only owner of a team with members, and says what to do.
        var blocked = await (await ada.Client.PostAsJsonAsync("/api/account/deletion", new { password = KilnTestHost.Password })).Problem(HttpStatusCode.Conflict, "owns_team_workspaces");
        blocked.GetProperty("title").GetString()!.ShouldContain("only owner of Studio");
        blocked.GetProperty("title").GetString()!.ShouldContain("(or delete it)");

        await (await bob.Client.PostAsJsonAsync("/api/workspace/deletion", new { name = "Studio" })).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await ada.Client.PostAsJsonAsync("/api/workspace/deletion", new { name = "studio" })).Problem(HttpStatusCode.BadRequest, "confirmation_mismatch");
        var busy = await (await ada.Client.PostAsJsonAsync("/api/workspace/deletion", new { name = "Studio" })).Problem(HttpStatusCode.Conflict, "jobs_running");
        busy.GetProperty("title").GetString()!.ShouldContain("cancel it or let it finish");
        await using (var db = host.NewDbContext())
            await db.Jobs.IgnoreQueryFilters().Where(j => j.Id == running.Id).ExecuteUpdateAsync(x => x.SetProperty(j => j.FinishedAt, DateTime.UtcNow));
        await (await ada.Client.PostAsync($"/api/workspaces/{ada.WorkspaceId}/switch", null)).Json(HttpStatusCode.OK);
        await (await ada.Client.PostAsJsonAsync("/api/workspace/deletion", new { name = "Ada" })).Problem(HttpStatusCode.Conflict, "personal_workspace");
        await (await ada.Client.PostAsync($"/api/workspaces/{team}/switch", null)).Json(HttpStatusCode.OK);

        var deleted = await (await ada.Client.PostAsJsonAsync("/api/workspace/deletion", new { name = " Studio " })).Json(HttpStatusCode.OK);
        deleted.GetProperty("name").GetString().ShouldBe("Studio");

        // Both act in their personal workspaces from the next request; the team is gone from their lists.
        (await (await ada.Client.GetAsync("/api/me")).Json(HttpStatusCode.OK)).GetProperty("workspaceId").GetGuid().ShouldBe(ada.WorkspaceId);
        (await (await bob.Client.GetAsync("/api/me")).Json(HttpStatusCode.OK)).GetProperty("workspaceId").GetGuid().ShouldBe(bob.WorkspaceId);
        (await (await bob.Client.GetAsync("/api/workspaces")).Json(HttpStatusCode.OK)).EnumerateArray().ShouldNotContain(w => w.Id() == team);
        Directory.Exists(Path.Combine(host.BlobPath, BlobPrefix(team))).ShouldBeFalse();
        await using (var db = host.NewDbContext())
        {
            (await RowsNaming(db, Guid.NewGuid(), team)).ShouldBeEmpty();
            (await db.Workspaces.AnyAsync(w => w.Id == team)).ShouldBeFalse();
            (await db.LedgerEntries.IgnoreQueryFilters().CountAsync(e => e.WorkspaceId == team)).ShouldBeGreaterThan(0);
            await DbAssertions.LedgerBalances(db);
            var audit = await db.AuditEvents.SingleAsync(e => e.Action == "workspace.deleted" && e.Target == team.ToString());
            audit.ActorUserId.ShouldBe(ada.UserId);
            audit.Details!.ShouldContain("\"members\":2");
        }

        // With the team gone, nothing holds Ada's account deletion back.
        (await (await ada.Client.PostAsJsonAsync("/api/account/deletion", new { password = KilnTestHost.Password })).Json(HttpStatusCode.OK))
            .GetProperty("pending").GetBoolean().ShouldBeTrue();
    }

    /// <summary>
    /// A job created while the deletion runs: its transaction has taken the account row (as a hold does) and written the
    /// job, but not committed. The deletion waits for that lock, counts the job and refuses; checked outside the lock,
    /// it used to erase the workspace, the job row with it, and leave the hold open for good.
    /// </summary>
    [Fact]
    public async Task A_job_created_while_a_team_workspace_is_deleted_stops_the_deletion_and_keeps_its_row()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        var ada = await host.SignUpAsync();
        var team = (await (await ada.Client.PostAsJsonAsync("/api/workspaces", new { name = "Studio" }, ct)).Json(HttpStatusCode.Created)).Id();
        await (await ada.Client.GetAsync("/api/me", ct)).Json(HttpStatusCode.OK);
        await using (var setup = host.NewDbContext())
            await setup.Database.ExecuteSqlInterpolatedAsync($"INSERT INTO credit_accounts (workspace_id, posted, held, updated_at) VALUES ({team}, {0L}, {0L}, {DateTime.UtcNow}) ON CONFLICT (workspace_id) DO NOTHING", ct);

        Guid jobId;
        Task<HttpResponseMessage> deletion;
        await using (var creating = host.NewDbContext())
        {
            await using var tx = await creating.Database.BeginTransactionAsync(ct);
            await creating.CreditAccounts.Where(a => a.WorkspaceId == team).ExecuteUpdateAsync(s => s.SetProperty(a => a.Held, a => a.Held), ct);
            var job = new Kiln.Core.Jobs.Job
            {
                Id = Ids.New(), WorkspaceId = team, CreatedByUserId = ada.UserId, PipelineId = "noop", Status = Kiln.Core.Jobs.JobStatus.Queued,
                CreatedAt = DateTime.UtcNow, RunAfter = DateTime.UtcNow, TimeoutSeconds = 60, InputsJson = "[]",
            };
            jobId = job.Id;
            creating.Jobs.Add(job);
            await creating.SaveChangesAsync(ct);

            deletion = ada.Client.PostAsJsonAsync("/api/workspace/deletion", new { name = "Studio" }, ct);
            await using var watch = host.NewDbContext();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!deletion.IsCompleted && await watch.Database.SqlQueryRaw<long>(
                       "SELECT count(*) AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").SingleAsync(ct) == 0)
            {
                DateTime.UtcNow.ShouldBeLessThan(deadline, "the deletion should wait for the account row a job creation holds");
                await Task.Delay(50, ct);
            }
            deletion.IsCompleted.ShouldBeFalse("the deletion must not decide before the creation commits");
            await tx.CommitAsync(ct);
        }

        await (await deletion).Problem(HttpStatusCode.Conflict, "jobs_running");
        await using var db = host.NewDbContext();
        (await db.Jobs.IgnoreQueryFilters().AnyAsync(j => j.Id == jobId, ct)).ShouldBeTrue();
        (await db.Workspaces.AnyAsync(w => w.Id == team, ct)).ShouldBeTrue();
    }

    private static string BlobPrefix(Guid workspaceId) => $"ws/{workspaceId:N}";

    private static async Task AddNoteAsync(KilnTestHost host, Guid workspaceId, Guid userId, string title, string markdown)
    {
        await using var db = host.NewDbContext();
        db.Notes.Add(new Note
        {
            Id = Ids.New(), WorkspaceId = workspaceId, CreatedByUserId = userId, Title = title, LinkName = title, Markdown = markdown,
            ContentJson = "{}", SourceKind = "document", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// Every Guid column of every table that still holds the person's id, or the personal workspace's id outside the
    /// accounting tables kept on purpose — found from the model, so a table added later is checked too.
    /// </summary>
    private static async Task<List<string>> RowsNaming(KilnDbContext db, Guid userId, Guid workspaceId)
    {
        var found = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes().Where(e => e.GetTableName() is not null))
        {
            foreach (var p in entity.GetProperties().Where(p => p.ClrType == typeof(Guid) || p.ClrType == typeof(Guid?)))
            {
                var ids = new List<Guid> { userId };
                if (!WorkspaceErasure.Kept.Contains(entity.ClrType)) ids.Add(workspaceId);
                foreach (var id in ids)
                {
                    var sql = $"SELECT COUNT(*) AS \"Value\" FROM \"{entity.GetTableName()}\" WHERE \"{p.GetColumnName()}\" = {{0}}";
                    var count = await db.Database.SqlQueryRaw<int>(sql, db.IsPostgres ? id : id.ToString().ToUpperInvariant()).SingleAsync();
                    if (count > 0) found.Add($"{entity.GetTableName()}.{p.GetColumnName()} = {(id == userId ? "user" : "workspace")} ({count})");
                }
            }
        }
        return found;
    }
}

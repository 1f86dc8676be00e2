using System.Text.RegularExpressions;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

public sealed class JourneyTests(KilnApp app)
{
    private static string Email(string tag) => $"{tag}-{Guid.NewGuid():N}"[..20] + "@example.com";

    [Fact]
    public async Task Sign_up_shows_the_free_grant_on_the_dashboard()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Sign_up_shows_the_free_grant_on_the_dashboard));
        await s.GoAsync("/");
        await s.SignUpAsync(Email("signup"));
        await Expect(s.Page.GetByTestId("available")).ToHaveTextAsync("25");
        await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Name = "Run your first job" })).ToBeVisibleAsync();
        await s.MobileShotAsync("dashboard");
        await s.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await s.ShotAsync("dashboard-dark");
        await s.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });

        // Workspace settings: an API key is shown once, works, and stops working when revoked.
        await s.GoAsync("/workspace/api-keys");
        await s.Page.GetByLabel("Key name").FillAsync("CI");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var key = await s.Page.Locator("#new-key-value").InputValueAsync();
        key.ShouldStartWith("kiln_");
        await s.ShotAsync("api-key-created");
        await s.MobileShotAsync("workspace");
        var withKey = new Dictionary<string, string> { ["Authorization"] = "Bearer " + key };
        (await s.Page.APIRequest.GetAsync("/api/credits", new() { Headers = withKey })).Status.ShouldBe(200);
        await s.GoAsync("/workspace/api-keys");
        (await s.Page.Locator("#new-key-value").CountAsync()).ShouldBe(0);
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Revoke key CI" }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("revoked");
        (await s.Page.APIRequest.GetAsync("/api/credits", new() { Headers = withKey })).Status.ShouldBe(401);

        // Members: invite a colleague by email (nobody joins without accepting), then withdraw the invitation.
        var colleague = Email("colleague");
        await s.GoAsync("/workspace/members");
        await s.Page.GetByLabel("Invite by email").FillAsync(colleague);
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("/invitations/kinv_");
        await s.ShotAsync("member-invited");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Withdraw the invitation for " + colleague }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Invitation withdrawn");
    }

    [Fact]
    public async Task A_job_that_costs_more_than_the_balance_is_refused_clearly_and_nothing_is_created()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_job_that_costs_more_than_the_balance_is_refused_clearly_and_nothing_is_created));
        var email = Email("poor");
        await s.SignUpAsync(email);
        await s.GoAsync("/jobs/new");
        await s.Page.Locator("a[data-pipeline=sleep]").ClickAsync();
        await s.Page.WaitForURLAsync("**/jobs/new?pipelineId=sleep");
        await s.Page.GetByLabel("Cost (optional)", new() { Exact = true }).FillAsync("1000");
        await Expect(s.Page.Locator("#estimate-message")).ToContainTextAsync("Not enough credits");
        await Expect(s.Page.Locator("#estimate-cost")).ToHaveTextAsync("1,000 credits");
        await s.ShotAsync("estimate-insufficient");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await Expect(s.Page.Locator("#insufficient")).ToContainTextAsync("needs 1000 credits but only 25 are available");
        await Expect(s.Page.Locator("#insufficient").GetByRole(AriaRole.Link, new() { Name = "Get more credits" })).ToBeVisibleAsync();
        await s.ShotAsync("insufficient");
        await s.GoAsync("/jobs");
        await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Name = "No jobs yet" })).ToBeVisibleAsync();
        (await CountJobsOf(email)).ShouldBe(0);

        // The API takes the same cookie, so a cross-site form could post to it: without the page's token it refuses.
        var forged = await s.Page.APIRequest.PostAsync("/api/jobs", new() { DataObject = new { pipeline = "noop" } });
        forged.Status.ShouldBe(400);
        (await forged.TextAsync()).ShouldContain("antiforgery_failed");
        (await CountJobsOf(email)).ShouldBe(0);

        // The way out of "not enough credits": buy a pack (sandbox provider) and see the balance grow.
        await s.GoAsync("/credits#get-credits");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Buy 10 credits" }).ClickAsync();
        await s.Page.WaitForURLAsync("**/billing/sandbox/checkout**");
        await s.ShotAsync("sandbox-checkout");
        await s.Page.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Pay ") }).ClickAsync();
        await s.Page.WaitForURLAsync("**/billing/success");
        await Expect(s.Page.GetByTestId("available")).ToHaveTextAsync("35");
        await s.ShotAsync("billing-success");
    }

    [Fact]
    public async Task Canceling_a_running_job_releases_its_credits()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Canceling_a_running_job_releases_its_credits));
        await s.SignUpAsync(Email("cancel"));

        // A short job first: the progress bar must reach 100 % from the live stream alone, with no page load.
        await s.GoAsync("/jobs/new?pipelineId=sleep");
        await s.Page.GetByLabel("Seconds (optional)", new() { Exact = true }).FillAsync("3");
        await s.Page.GetByLabel("Cost (optional)", new() { Exact = true }).FillAsync("0");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var navigations = 0;
        s.Page.FrameNavigated += (_, f) => { if (f == s.Page.MainFrame) navigations++; };
        (await s.Page.GetByRole(AriaRole.Progressbar).GetAttributeAsync("aria-valuenow")).ShouldNotBe("100");
        await s.ShotAsync("short-job-running");
        await Expect(s.Page.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "100", new() { Timeout = 60_000 });
        await Expect(s.Page.Locator("[data-preview=text]")).ToContainTextAsync("slept 3 s");
        navigations.ShouldBe(0);
        await s.ShotAsync("short-job-done");

        await s.GoAsync("/jobs/new?pipelineId=sleep");
        await s.Page.GetByLabel("Seconds (optional)", new() { Exact = true }).FillAsync("120");
        await s.Page.GetByLabel("Cost (optional)", new() { Exact = true }).FillAsync("5");
        await Expect(s.Page.Locator("#estimate-after")).ToHaveTextAsync("20 credits");
        await s.MobileShotAsync("new-job");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var badge = s.Page.Locator(".page-head .badge");
        await Expect(badge).ToHaveTextAsync("running", new() { Timeout = 60_000 });
        await Expect(s.Page.Locator("#job-log")).ToContainTextAsync("child process");
        await s.ShotAsync("job-running");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
        await Expect(s.Page.Locator(".page-head .badge")).ToHaveTextAsync("canceled", new() { Timeout = 60_000 });
        await Expect(s.Page.GetByTestId("released")).ToHaveTextAsync("5 credits");
        await Expect(s.Page.GetByTestId("captured")).ToHaveTextAsync("0 credits");
        await s.ShotAsync("job-canceled");
        await s.GoAsync("/credits");
        await Expect(s.Page.GetByTestId("available")).ToHaveTextAsync("25");
        await Expect(s.Page.GetByTestId("held")).ToHaveTextAsync("0");
        await Expect(s.Page.Locator("#ledger-table tr[data-kind=release]")).ToHaveCountAsync(1);
        await s.GoAsync("/credits?kind=release");
        await Expect(s.Page.Locator("#ledger-table tbody tr")).ToHaveCountAsync(1);
        var csv = await s.Page.RunAndWaitForDownloadAsync(() => s.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        var lines = (await File.ReadAllLinesAsync((await csv.PathAsync())!)).Where(l => l.Length > 0).ToList();
        lines[0].ShouldBe("id,created_at,kind,amount,held_delta,balance_after,held_after,job_id,reason");
        lines.Skip(1).ShouldAllBe(l => l.Contains(",release,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_admin_grant_shows_up_on_the_users_dashboard()
    {
        var email = Email("granted");
        var adminEmail = Email("admin");
        await app.CreateUserAsync(adminEmail, BrowserSession.Password, isAdmin: true);
        await using var user = await BrowserSession.OpenAsync(app, nameof(An_admin_grant_shows_up_on_the_users_dashboard), "user");
        await user.SignUpAsync(email);
        var workspace = await app.WithScope(async sp =>
        {
            var db = sp.GetRequiredService<KilnDbContext>();
            var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            return await db.WorkspaceMembers.Where(m => m.UserId == userId).Select(m => m.WorkspaceId).SingleAsync();
        });

        // A failed job for the admin console's failed list and its retry button.
        await user.GoAsync("/jobs/new?pipelineId=fail");
        await user.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await Expect(user.Page.Locator(".page-head .badge")).ToHaveTextAsync("failed", new() { Timeout = 60_000 });
        await Expect(user.Page.Locator("#job-error")).ToContainTextAsync("always fails");
        await user.ShotAsync("job-failed");
        var failedJobUrl = new Uri(user.Page.Url).AbsolutePath;

        await using var admin = await BrowserSession.OpenAsync(app, nameof(An_admin_grant_shows_up_on_the_users_dashboard), "admin");
        await admin.SignInAsync(adminEmail);
        await admin.GoAsync("/admin");
        await admin.Page.GetByLabel("Workspace", new() { Exact = true }).SelectOptionAsync(workspace.ToString());
        await admin.Page.GetByLabel("Credits", new() { Exact = true }).FillAsync("100");
        await admin.Page.GetByLabel("Reason").FillAsync("Launch promotion");
        await admin.Page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(admin.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Granted 100 credits. New balance: 125.");
        await admin.ShotAsync("admin-granted");

        await user.GoAsync("/dashboard");
        await Expect(user.Page.GetByTestId("available")).ToHaveTextAsync("125");
        await user.GoAsync("/credits");
        await Expect(user.Page.Locator("#ledger-table")).ToContainTextAsync("Launch promotion");
        // A regular user does not see the console at all.
        var response = await user.GoAsync("/admin");
        response!.Status.ShouldBe(404);

        // After the balance checks, so the retried job's hold cannot change the numbers above.
        await admin.GoAsync("/admin");
        await admin.Page.GetByRole(AriaRole.Button, new() { Name = "Retry" }).First.ClickAsync();
        await Expect(admin.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retry queued as job");
        await admin.GoAsync("/admin/jobs?status=failed");
        var csv = await admin.Page.RunAndWaitForDownloadAsync(() => admin.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        (await File.ReadAllTextAsync((await csv.PathAsync())!)).ShouldStartWith("id,workspace_id,workspace,pipeline,status");

        // The owner can run their failed job again from its page.
        await user.GoAsync(failedJobUrl);
        await user.Page.GetByRole(AriaRole.Button, new() { Name = "Run again" }).ClickAsync();
        await user.Page.WaitForURLAsync(u => new Uri(u).AbsolutePath != failedJobUrl && Regex.IsMatch(u, "/jobs/[0-9a-f-]{36}$"));
        await Expect(user.Page.Locator(".page-head .badge")).ToHaveTextAsync("failed", new() { Timeout = 60_000 });
        await user.ShotAsync("job-run-again");
    }

    [Fact]
    public async Task Another_users_job_url_shows_the_404_page()
    {
        await using var owner = await BrowserSession.OpenAsync(app, nameof(Another_users_job_url_shows_the_404_page), "owner");
        await owner.SignUpAsync(Email("owner"));
        await owner.GoAsync("/jobs/new?pipelineId=sleep");
        await owner.Page.GetByLabel("Seconds (optional)", new() { Exact = true }).FillAsync("4");
        await owner.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await owner.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var url = new Uri(owner.Page.Url).AbsolutePath;

        // The jobs list updates its badges live while the job runs.
        await owner.GoAsync("/jobs");
        var badge = owner.Page.Locator($"[data-live-status='{url.Split('/')[^1]}']");
        (await badge.TextContentAsync()).ShouldNotBe("succeeded");
        var navigations = 0;
        owner.Page.FrameNavigated += (_, f) => { if (f == owner.Page.MainFrame) navigations++; };
        await Expect(badge).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });
        navigations.ShouldBe(0);
        await owner.ShotAsync("jobs-live");

        await using var other = await BrowserSession.OpenAsync(app, nameof(Another_users_job_url_shows_the_404_page), "other");
        await other.SignUpAsync(Email("other"));
        var response = await other.GoAsync(url);
        response!.Status.ShouldBe(404);
        await Expect(other.Page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        (await other.GoAsync("/jobs/" + Guid.NewGuid()))!.Status.ShouldBe(404);
    }

    [Fact]
    public async Task An_upload_survives_a_dropped_connection_half_way()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(An_upload_survives_a_dropped_connection_half_way));
        await s.SignUpAsync(Email("upload"));
        await s.GoAsync("/jobs/new?pipelineId=pdf-echo");
        var pdf = TestPdf.Create(pages: 60);
        pdf.Length.ShouldBeGreaterThan(4 * 65536);
        var puts = 0;
        var aborted = 0;
        var slow = true;
        var firstPhase = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await s.Page.RouteAsync("**/blobs/**", async route =>
        {
            if (slow)
            {
                // First phase: parts hang until the user has canceled the upload.
                await firstPhase.Task.WaitAsync(TimeSpan.FromSeconds(60));
                try { await route.ContinueAsync(); } catch (PlaywrightException) { }
                return;
            }
            if (route.Request.Method == "PUT" && Interlocked.Increment(ref puts) == 3 && Interlocked.Exchange(ref aborted, 1) == 0)
                await route.AbortAsync("connectionreset");
            else
                await route.ContinueAsync();
        });

        // Cancel: the upload stops and the pending upload is deleted on the server.
        await s.Page.Locator("#slot-source-file").SetInputFilesAsync(new FilePayload { Name = "first.pdf", MimeType = "application/pdf", Buffer = pdf });
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveAttributeAsync("data-state", "uploading");
        var deleted = s.Page.WaitForResponseAsync(r => r.Request.Method == "DELETE" && r.Url.Contains("/api/uploads/", StringComparison.Ordinal));
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Cancel upload" }).ClickAsync();
        // The UI asks the server to delete the pending upload: it answers 204 and nothing of it is left.
        (await deleted).Status.ShouldBe(204);
        (await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Uploads.AsNoTracking()
            .CountAsync(u => u.FileName == "first.pdf"))).ShouldBe(0);
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveAttributeAsync("data-state", "canceled");
        await s.ShotAsync("upload-canceled");

        slow = false;
        firstPhase.SetResult();

        await s.Page.Locator("#slot-source-file").SetInputFilesAsync(new FilePayload { Name = "kilns.pdf", MimeType = "application/pdf", Buffer = pdf });
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 60_000 });
        await Expect(s.Page.Locator("#slot-source-progress")).ToHaveAttributeAsync("value", "100");
        await s.ShotAsync("uploaded");
        aborted.ShouldBe(1);
        var uploadId = Guid.Parse(await s.Page.Locator("#slot-source-upload-id").InputValueAsync());
        var upload = await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Uploads.AsNoTracking().SingleAsync(u => u.Id == uploadId));
        upload.Status.ShouldBe(UploadStatus.Ready);
        upload.Size.ShouldBe(pdf.Length);
        await Expect(s.Page.Locator("#estimate-cost")).ToHaveTextAsync("3 credits");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        await Expect(s.Page.Locator("[data-preview=markdown]")).ToContainTextAsync($"Size: {pdf.Length} bytes", new() { Timeout = 60_000 });
        await s.ShotAsync("job-done");
    }

    [Fact]
    public async Task A_pdf_podcast_job_runs_live_and_its_download_matches_storage()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_pdf_podcast_job_runs_live_and_its_download_matches_storage));
        await s.SignUpAsync(Email("podcast"));
        await s.GoAsync("/jobs/new");
        await s.Page.Locator("a[data-pipeline=pdf-podcast]").ClickAsync();
        await s.Page.WaitForURLAsync("**/jobs/new?pipelineId=pdf-podcast");
        await s.Page.Locator("#slot-source-file").SetInputFilesAsync(new FilePayload { Name = "pottery.pdf", MimeType = "application/pdf", Buffer = TestPdf.Create(pages: 4, linesPerPage: 20) });
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 60_000 });
        await s.ShotAsync("uploaded");
        await Expect(s.Page.Locator("#estimate-cost")).ToHaveTextAsync(new Regex(@"^\d[\d,]* credits?$"));
        await s.ShotAsync("estimate");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var jobId = Guid.Parse(new Uri(s.Page.Url).AbsolutePath.Split('/')[^1]);
        var navigations = 0;
        s.Page.FrameNavigated += (_, f) => { if (f == s.Page.MainFrame) navigations++; };
        await s.ShotAsync("job-started");
        await Expect(s.Page.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", "100", new() { Timeout = 300_000 });
        navigations.ShouldBe(0);
        var markdown = s.Page.Locator("[data-preview=markdown]").First;
        await Expect(markdown).ToBeVisibleAsync(new() { Timeout = 60_000 });
        (await markdown.Locator("h1, h2, p").CountAsync()).ShouldBeGreaterThan(0);
        await s.ShotAsync("job-succeeded");

        var artifact = await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Artifacts.AsNoTracking()
            .Where(a => a.JobId == jobId).OrderBy(a => a.Name).FirstAsync(a => a.Name.EndsWith(".md")));
        var download = await s.Page.RunAndWaitForDownloadAsync(() => s.Page.Locator($"a[data-download='{artifact.Name}']").ClickAsync());
        var downloaded = await File.ReadAllBytesAsync((await download.PathAsync())!);
        var stored = await app.WithScope(async sp =>
        {
            await using var stream = await sp.GetRequiredService<IBlobStore>().OpenReadAsync(artifact.BlobKey, CancellationToken.None);
            using var ms = new MemoryStream();
            await stream.CopyToAsync(ms);
            return ms.ToArray();
        });
        downloaded.ShouldBe(stored);
    }

    [Fact]
    public async Task The_basic_forms_work_with_JavaScript_off()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(The_basic_forms_work_with_JavaScript_off), javaScript: false);
        await s.SignUpAsync(Email("nojs"));
        await s.GoAsync("/jobs/new?pipelineId=sleep");
        await s.Page.GetByLabel("Seconds (optional)", new() { Exact = true }).FillAsync("0");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Update estimate" }).ClickAsync();
        await Expect(s.Page.Locator("[data-error-for=seconds]")).ToHaveTextAsync("Seconds must be at least 1.");
        await s.ShotAsync("validation");
        await s.Page.GetByLabel("Seconds (optional)", new() { Exact = true }).FillAsync("60");
        await s.Page.GetByLabel("Cost (optional)", new() { Exact = true }).FillAsync("4");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Update estimate" }).ClickAsync();
        await Expect(s.Page.Locator("#estimate-after")).ToHaveTextAsync("21 credits");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        await s.ShotAsync("job");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
        await Expect(s.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("ancel");
        for (var i = 0; i < 40 && await s.Page.Locator(".page-head .badge").TextContentAsync() != "canceled"; i++)
        {
            await Task.Delay(500);
            await s.Page.ReloadAsync();
        }
        await Expect(s.Page.Locator(".page-head .badge")).ToHaveTextAsync("canceled");
        await s.ShotAsync("job-canceled");
    }

    private Task<int> CountJobsOf(string email) => app.WithScope(async sp =>
    {
        var db = sp.GetRequiredService<KilnDbContext>();
        var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
        var ws = await db.WorkspaceMembers.Where(m => m.UserId == userId).Select(m => m.WorkspaceId).SingleAsync();
        return await db.Jobs.IgnoreQueryFilters().CountAsync(j => j.WorkspaceId == ws);
    });
}

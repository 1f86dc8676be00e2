using System.Net;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Operations;

/// <summary>Every page and handler under /admin answers 404 to non-operators, from the operator flag in the database.</summary>
public sealed class OperatorPagesTests(PostgresServer pg)
{
    private static readonly string[] Gets = ["/admin", "/admin/jobs", "/admin/pipelines", "/admin/jobs?handler=Csv", "/admin/billing", $"/admin/billing/events/{Guid.NewGuid()}",
        "/admin/ai-usage", $"/admin/jobs/{Guid.NewGuid()}"];
    private static readonly string[] Posts = ["/admin?handler=Grant", $"/admin?handler=Retry&jobId={Guid.NewGuid()}", $"/admin/billing?handler=Retry&eventId={Guid.NewGuid()}",
        $"/admin/billing?handler=Resolve&shortfallId={Guid.NewGuid()}"];

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Admin_pages_answer_404_to_users_and_to_an_operator_demoted_since_signing_in(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var admin = await host.SignUpAsync(admin: true);
        var userPages = await PageClient.SignInAsync(host, user.Email);
        var adminPages = await PageClient.SignInAsync(host, admin.Email);

        (await adminPages.Client.GetAsync("/admin")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await adminPages.Client.GetAsync("/admin/jobs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await AllNotFound(userPages, user.WorkspaceId);

        // The cookie still carries the operator claim; the database no longer says so.
        await using (var db = host.NewDbContext())
            await db.Users.Where(u => u.Id == admin.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsAdmin, false), TestContext.Current.CancellationToken);
        await AllNotFound(adminPages, admin.WorkspaceId);
    }

    private static async Task AllNotFound(PageClient pages, Guid workspace)
    {
        foreach (var url in Gets)
        {
            var r = await pages.Client.GetAsync(url);
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, url);
            (await r.Content.ReadAsStringAsync()).ShouldNotContain("Grant or adjust credits");
        }
        foreach (var url in Posts)
        {
            var r = await pages.PostFormAsync("/workspace", url, new()
            {
                ["Grant.WorkspaceId"] = workspace.ToString(), ["Grant.Amount"] = "1000", ["Grant.Reason"] = "free money",
            });
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, url);
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Credits;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Operations;

/// <summary>The API and the admin page run the same grant and adjustment commands, so they refuse the same input the same way.</summary>
public sealed class OperatorCreditsTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_over_long_request_id_is_refused_by_the_api_and_the_admin_page_alike(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var admin = await host.SignUpAsync(admin: true);
        var page = await PageClient.SignInAsync(host, admin.Email);
        var tooLong = new string('r', OperatorCreditMove.MaxRequestIdLength + 1);

        var problem = await (await admin.Client.PostAsJsonAsync("/api/admin/credits/grant",
            new { workspaceId = user.WorkspaceId, amount = 10, reason = "Support", requestId = tooLong })).Problem(HttpStatusCode.BadRequest, "invalid_request_id");
        var message = problem.GetProperty("title").GetString()!;

        foreach (var kind in new[] { "grant", "adjustment" })
        {
            var r = await page.PostFormAsync("/admin", "/admin?handler=Grant", new()
            {
                ["Grant.WorkspaceId"] = user.WorkspaceId.ToString(), ["Grant.Kind"] = kind, ["Grant.Amount"] = "10",
                ["Grant.Reason"] = "Support", ["Grant.RequestId"] = tooLong,
            });
            var html = await r.Content.ReadAsStringAsync();
            r.StatusCode.ShouldBe(HttpStatusCode.OK, html);
            html.ShouldContain(message);
        }

        await using var db = host.NewDbContext();
        (await db.LedgerEntries.IgnoreQueryFilters().CountAsync(e => e.WorkspaceId == user.WorkspaceId && e.Kind != LedgerEntryKind.Grant)).ShouldBe(0);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);

        // The page's own request id still makes a double submit one grant.
        for (var i = 0; i < 2; i++)
        {
            var r = await page.PostFormAsync("/admin", "/admin?handler=Grant", new()
            {
                ["Grant.WorkspaceId"] = user.WorkspaceId.ToString(), ["Grant.Kind"] = "grant", ["Grant.Amount"] = "10",
                ["Grant.Reason"] = "Support", ["Grant.RequestId"] = "form-1",
            });
            r.StatusCode.ShouldBe(HttpStatusCode.Redirect, await r.Content.ReadAsStringAsync());
        }
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(35);
    }
}

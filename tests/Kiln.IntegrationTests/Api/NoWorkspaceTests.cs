using System.Net;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Api;

/// <summary>A signed-in user in no workspace gets one answer everywhere: 403 no_workspace (uploads and billing used to say 401 or 400).</summary>
public sealed class NoWorkspaceTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_user_without_a_workspace_gets_403_no_workspace_from_every_area(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        await using (var db = host.NewDbContext())
            await db.WorkspaceMembers.Where(m => m.UserId == user.UserId).ExecuteDeleteAsync(TestContext.Current.CancellationToken);

        var calls = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Get, "/api/uploads", null),
            (HttpMethod.Post, "/api/uploads", new { fileName = "a.pdf", size = 10, contentType = "application/pdf" }),
            (HttpMethod.Get, $"/api/uploads/{Guid.NewGuid()}", null),
            (HttpMethod.Delete, $"/api/uploads/{Guid.NewGuid()}", null),
            (HttpMethod.Get, "/api/billing/subscription", null),
            (HttpMethod.Get, "/api/billing/payments", null),
            (HttpMethod.Post, "/api/billing/portal", null),
            (HttpMethod.Post, "/api/billing/subscription/cancel", null),
            (HttpMethod.Get, "/api/credits", null),
            (HttpMethod.Put, "/api/workspace", new { name = "x" }),
            (HttpMethod.Get, "/api/webhooks", null),
        };
        foreach (var (method, url, body) in calls)
        {
            var response = await user.Client.SendAsync(new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) });
            await response.Problem(HttpStatusCode.Forbidden, "no_workspace");
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Api;

public sealed class WorkspaceTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Members_share_a_workspace_with_roles_and_switch_between_workspaces(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        var colleague = await host.SignUpAsync();

        await (await owner.Client.PostAsJsonAsync("/api/workspace/invitations", new { email = colleague.Email, role = "boss" })).Problem(HttpStatusCode.BadRequest, "invalid_role");
        await KilnTestHost.JoinAsync(owner, colleague);
        // Accepting acts in the new workspace at once; go back to the personal one to see switching work.
        await (await colleague.Client.PostAsync($"/api/workspaces/{colleague.WorkspaceId}/switch", null)).Json(HttpStatusCode.OK);

        // The colleague switches into the owner's workspace and sees its jobs and balance.
        var job = (await (await owner.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        (await colleague.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await (await colleague.Client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/switch", null)).Json(HttpStatusCode.OK);
        (await colleague.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await colleague.Client.Balance()).GetProperty("held").GetInt64().ShouldBe(1);

        // Members use the workspace but do not administer it.
        await (await colleague.Client.PostAsJsonAsync("/api/api-keys", new { name = "x" })).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await colleague.Client.DeleteAsync($"/api/workspace/members/{owner.UserId}")).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await owner.Client.DeleteAsync($"/api/workspace/members/{owner.UserId}")).Problem(HttpStatusCode.Conflict, "last_owner");
        await (await owner.Client.PutAsJsonAsync($"/api/workspace/members/{colleague.UserId}", new { role = "admin" })).Json(HttpStatusCode.OK);
        (await (await colleague.Client.PostAsJsonAsync("/api/api-keys", new { name = "x" })).Json(HttpStatusCode.Created)).GetProperty("key").GetString().ShouldStartWith("kiln_");

        // Removed, the colleague falls back to their own workspace at once.
        (await owner.Client.DeleteAsync($"/api/workspace/members/{colleague.UserId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await colleague.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await colleague.Client.GetAsync("/api/me")).Json(HttpStatusCode.OK)).GetProperty("workspaceId").GetString().ShouldBe(colleague.WorkspaceId.ToString());
        await (await colleague.Client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/switch", null)).Problem(HttpStatusCode.NotFound, "not_found");
    }
}

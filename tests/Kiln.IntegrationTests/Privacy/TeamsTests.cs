using Microsoft.EntityFrameworkCore;
using System.Net;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Privacy;

public sealed class TeamsTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_team_is_created_handed_over_and_left_and_the_last_owner_cannot_leave(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var ada = await host.SignUpAsync();
        var bob = await host.SignUpAsync();

        await (await ada.Client.PostAsJsonAsync("/api/workspaces", new { name = "  " })).Problem(HttpStatusCode.BadRequest, "invalid_name");
        var team = await (await ada.Client.PostAsJsonAsync("/api/workspaces", new { name = "Studio" })).Json(HttpStatusCode.Created);
        var teamId = team.Id();
        team.GetProperty("role").GetString().ShouldBe("owner");
        // The creator acts in the team at once; it has its own (empty) balance, the personal grant stays where it was.
        (await (await ada.Client.GetAsync("/api/me")).Json(HttpStatusCode.OK)).GetProperty("workspaceId").GetString().ShouldBe(teamId.ToString());
        (await ada.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(0);
        var list = await (await ada.Client.GetAsync("/api/workspaces")).Json(HttpStatusCode.OK);
        list.EnumerateArray().Select(w => (w.GetProperty("name").GetString(), w.GetProperty("isPersonal").GetBoolean(), w.GetProperty("current").GetBoolean()))
            .ShouldBe([(list[0].GetProperty("name").GetString(), true, false), ("Studio", false, true)]);

        // A personal workspace is never handed over; the team is, to a member only.
        await (await ada.Client.PostAsJsonAsync("/api/workspace/ownership", new { userId = bob.UserId })).Problem(HttpStatusCode.NotFound, "not_found");
        await KilnTestHost.JoinAsync(ada, bob);
        await (await ada.Client.PostAsync("/api/workspace/leave", null)).Problem(HttpStatusCode.Conflict, "last_owner");
        await (await bob.Client.PostAsJsonAsync("/api/workspace/ownership", new { userId = bob.UserId })).Problem(HttpStatusCode.Forbidden, "forbidden");
        var handed = await (await ada.Client.PostAsJsonAsync("/api/workspace/ownership", new { userId = bob.UserId })).Json(HttpStatusCode.OK);
        handed.GetProperty("role").GetString().ShouldBe("owner");
        var roles = (await (await bob.Client.GetAsync("/api/workspace/members")).Json(HttpStatusCode.OK)).EnumerateArray()
            .ToDictionary(m => m.GetProperty("userId").GetString()!, m => m.GetProperty("role").GetString());
        roles[ada.UserId.ToString()].ShouldBe("admin");
        roles[bob.UserId.ToString()].ShouldBe("owner");

        // Ada leaves and acts in her personal workspace again; Bob, now the last owner, cannot.
        (await ada.Client.PostAsync("/api/workspace/leave", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await (await ada.Client.GetAsync("/api/me")).Json(HttpStatusCode.OK)).GetProperty("workspaceId").GetString().ShouldBe(ada.WorkspaceId.ToString());
        await (await bob.Client.PostAsync("/api/workspace/leave", null)).Problem(HttpStatusCode.Conflict, "last_owner");

        // Back in her personal workspace, Ada cannot hand it over.
        await KilnTestHost.JoinAsync(ada, bob);
        await (await bob.Client.PostAsync($"/api/workspaces/{teamId}/switch", null)).Json(HttpStatusCode.OK);
        await (await ada.Client.PostAsJsonAsync("/api/workspace/ownership", new { userId = bob.UserId })).Problem(HttpStatusCode.Conflict, "personal_workspace");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_operator_signs_a_user_out_everywhere_and_the_admin_flag_is_read_from_the_database(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var op = await host.SignUpAsync(admin: true);
        var user = await host.SignUpAsync();

        await (await user.Client.PostAsync($"/api/admin/users/{op.UserId}/sign-out", null)).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await op.Client.PostAsync($"/api/admin/users/{Guid.NewGuid()}/sign-out", null)).Problem(HttpStatusCode.NotFound, "not_found");
        (await op.Client.PostAsync($"/api/admin/users/{user.UserId}/sign-out", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        // Not a lock: the person signs in again.
        var again = await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password });
        again.StatusCode.ShouldBe(HttpStatusCode.OK);

        // The operator flag taken away in the database takes effect on the next request with the same token.
        await using (var db = host.NewDbContext())
            await db.Users.Where(u => u.Id == op.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsAdmin, false));
        await (await op.Client.GetAsync("/api/admin/workspaces")).Problem(HttpStatusCode.Forbidden, "forbidden");
    }
}

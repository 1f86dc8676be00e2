using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Accounts;

/// <summary>The account settings API: display name, devices with revoke, notification preferences.</summary>
public sealed class ProfileTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_user_renames_themselves_signs_one_device_out_and_switches_notifications_off(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();

        await (await user.Client.PatchAsJsonAsync("/api/account", new { displayName = "Ada\u202Eevil" })).Problem(HttpStatusCode.BadRequest, "invalid_display_name");
        (await user.Client.PatchAsJsonAsync("/api/account", new { displayName = "  Ada Lovelace " })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var profile = await (await user.Client.GetAsync("/api/account")).Json(HttpStatusCode.OK);
        profile.GetProperty("displayName").GetString().ShouldBe("Ada Lovelace");
        profile.GetProperty("connectedProviders").GetArrayLength().ShouldBe(0);

        // A second device signs in; the first lists both and signs the second out.
        var tokens = await (await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password })).Json(HttpStatusCode.OK);
        var other = host.CreateClient();
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        var sessions = await (await user.Client.GetAsync("/api/account/sessions")).Json(HttpStatusCode.OK);
        sessions.GetArrayLength().ShouldBe(2);
        var otherId = sessions.EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean()).Id();
        (await user.Client.DeleteAsync($"/api/account/sessions/{otherId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await other.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await user.Client.DeleteAsync($"/api/account/sessions/{otherId}")).Problem(HttpStatusCode.NotFound, "not_found");

        // Another user's session id is a 404 too.
        var stranger = await host.SignUpAsync();
        var theirs = (await (await stranger.Client.GetAsync("/api/account/sessions")).Json(HttpStatusCode.OK))[0].Id();
        await (await user.Client.DeleteAsync($"/api/account/sessions/{theirs}")).Problem(HttpStatusCode.NotFound, "not_found");
        (await stranger.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var defaults = await (await user.Client.GetAsync("/api/account/notifications")).Json(HttpStatusCode.OK);
        defaults.GetProperty("jobFinished").GetBoolean().ShouldBeTrue();
        (await user.Client.PutAsJsonAsync("/api/account/notifications",
            new { jobFinished = false, jobFailed = true, creditsLow = false, paymentReceipt = true, invitation = true })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var saved = await (await user.Client.GetAsync("/api/account/notifications")).Json(HttpStatusCode.OK);
        saved.GetProperty("jobFinished").GetBoolean().ShouldBeFalse();
        saved.GetProperty("creditsLow").GetBoolean().ShouldBeFalse();
        saved.GetProperty("jobFailed").GetBoolean().ShouldBeTrue();
    }
}

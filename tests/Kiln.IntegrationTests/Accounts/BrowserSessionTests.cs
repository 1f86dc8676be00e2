using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Audit;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.IntegrationTests.Accounts;

/// <summary>Browser sign-ins have session rows: they are listed as devices, and revoking one ends that cookie.</summary>
public sealed partial class BrowserSessionTests(PostgresServer pg)
{
    private static readonly WebApplicationFactoryClientOptions NoCookies = new() { AllowAutoRedirect = false, HandleCookies = false };

    private sealed class FixedClientAddress : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, n) => { http.Connection.RemoteIpAddress = IPAddress.Parse("198.51.100.42"); return n(http); });
            next(app);
        };
    }

    /// <summary>Signs in through the form as a browser with <paramref name="agent"/>; returns its <c>kiln.auth</c> cookie.</summary>
    private static async Task<string> SignInAsync(KilnTestHost host, string email, string agent)
    {
        var form = await host.CreateClient(NoCookies).GetAsync("/signin");
        var token = TokenInput().Match(await form.Content.ReadAsStringAsync()).Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = email, ["Password"] = KilnTestHost.Password, ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            }),
        };
        post.Headers.Add("Cookie", CookieNamed(form, "kiln.af"));
        post.Headers.UserAgent.ParseAdd(agent);
        var signedIn = await host.CreateClient(NoCookies).SendAsync(post);
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signedIn.Content.ReadAsStringAsync());
        return CookieNamed(signedIn, "kiln.auth");
    }

    private static async Task<HttpResponseMessage> GetAsync(KilnTestHost host, string url, string cookie)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, url);
        get.Headers.Add("Cookie", cookie);
        return await host.CreateClient(NoCookies).SendAsync(get);
    }

    private static async Task<bool> SignedInAsync(KilnTestHost host, string cookie)
    {
        var r = await GetAsync(host, "/account/settings", cookie);
        if (r.StatusCode == HttpStatusCode.OK) return true;
        r.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        r.Headers.Location!.OriginalString.ShouldStartWith("/signin");
        return false;
    }

    private static async Task<Guid> OwnSessionAsync(KilnTestHost host, string cookie) =>
        (await (await GetAsync(host, "/api/account/sessions", cookie)).Json(HttpStatusCode.OK)).EnumerateArray()
            .Single(s => s.GetProperty("current").GetBoolean()).Id();

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Revoking_a_browser_device_signs_that_cookie_out_in_every_web_process_and_sign_out_everywhere_ends_the_rest(string provider)
    {
        await using var first = await KilnTestHost.StartAsync(provider, pg, worker: false, services: s => s.AddSingleton<IStartupFilter, FixedClientAddress>());
        await using var second = KilnTestHost.Start(first.Database, worker: false);
        var user = await first.SignUpAsync();
        var laptop = await SignInAsync(first, user.Email, "Laptop/1.0");
        var phone = await SignInAsync(first, user.Email, "Phone/2.0");

        var devices = (await (await user.Client.GetAsync("/api/account/sessions")).Json(HttpStatusCode.OK)).EnumerateArray().ToList();
        devices.Count.ShouldBe(3);
        var browsers = devices.Where(d => d.GetProperty("kind").GetString() == SessionKinds.Browser).ToList();
        browsers.Select(d => d.GetProperty("userAgent").GetString()).Order().ShouldBe(["Laptop/1.0", "Phone/2.0"]);
        browsers.ShouldAllBe(d => d.GetProperty("ipNetwork").GetString() == "198.51.100.0/24");
        var phoneId = await OwnSessionAsync(first, phone);
        browsers.ShouldContain(d => d.Id() == phoneId);
        (await (await GetAsync(first, "/account/settings", laptop)).Content.ReadAsStringAsync()).ShouldContain("(this browser)");

        // The second web process knows the phone as live (and caches that) before the laptop signs it out.
        (await SignedInAsync(second, phone)).ShouldBeTrue();
        (await user.Client.DeleteAsync($"/api/account/sessions/{phoneId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var rejected = await GetAsync(first, "/account/settings", phone);
        rejected.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        // The dead cookie is deleted, not just ignored.
        rejected.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("kiln.auth=;", StringComparison.Ordinal));
        (await (await GetAsync(first, "/api/me", phone)).Content.ReadAsStringAsync()).ShouldNotContain(user.UserId.ToString());
        // The row is the truth: the other process stops trusting its cache within RevocationCacheSeconds.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await SignedInAsync(second, phone)) { DateTime.UtcNow.ShouldBeLessThan(deadline, "the second process kept a revoked cookie"); await Task.Delay(200); }
        (await SignedInAsync(first, laptop)).ShouldBeTrue();
        (await SignedInAsync(second, laptop)).ShouldBeTrue();
        await using (var db = first.NewDbContext())
        {
            (await db.Set<UserSession>().SingleAsync(s => s.Id == phoneId)).RevokeReason.ShouldBe("revoked");
            (await db.Set<AuditEvent>().CountAsync(e => e.Action == AuditActions.SessionRevoked && e.Target == phoneId.ToString())).ShouldBe(1);
        }

        // Sign out everywhere from the app ends the laptop's cookie too, and the device list empties.
        (await user.Client.PostAsync("/api/auth/logout-all", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await SignedInAsync(first, laptop)).ShouldBeFalse();
        await using (var db = first.NewDbContext())
            (await db.Set<UserSession>().CountAsync(s => s.UserId == user.UserId && s.RevokedAt == null)).ShouldBe(0);

        // An operator's forced sign-out ends a browser that signed in again.
        var again = await SignInAsync(first, user.Email, "Laptop/1.0");
        (await SignedInAsync(first, again)).ShouldBeTrue();
        var op = await first.SignUpAsync(admin: true);
        (await op.Client.PostAsync($"/api/admin/users/{user.UserId}/sign-out", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await SignedInAsync(first, again)).ShouldBeFalse();
        await using (var db = first.NewDbContext())
            (await db.Set<UserSession>().Where(s => s.UserId == user.UserId && s.Kind == SessionKinds.Browser).OrderByDescending(s => s.CreatedAt).FirstAsync())
                .RevokeReason.ShouldBe("admin_sign_out");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_password_change_keeps_this_browser_on_a_new_session_ends_the_others_and_last_seen_is_written_every_few_minutes(string provider)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, services: s => s.AddSingleton<TimeProvider>(clock));
        var user = await host.SignUpAsync();
        var other = await SignInAsync(host, user.Email, "Other/1.0");
        var page = await PageClient.SignInAsync(host, user.Email);
        var sessionId = (await (await page.Client.GetAsync("/api/account/sessions")).Json(HttpStatusCode.OK)).EnumerateArray()
            .Single(s => s.GetProperty("current").GetBoolean()).Id();

        // Last seen: not rewritten a minute later, rewritten after the write interval (5 minutes).
        async Task<DateTime> LastSeen() { await using var db = host.NewDbContext(); return (await db.Set<UserSession>().SingleAsync(s => s.Id == sessionId)).LastUsedAt; }
        var signedInAt = await LastSeen();
        clock.Advance(TimeSpan.FromMinutes(1));
        (await page.Client.GetAsync("/account/settings")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await LastSeen()).ShouldBe(signedInAt);
        clock.Advance(TimeSpan.FromMinutes(5));
        (await page.Client.GetAsync("/account/settings")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await LastSeen()).ShouldBe(clock.GetUtcNow().UtcDateTime, TimeSpan.FromMilliseconds(1));

        var changed = await page.PostFormAsync("/account/settings", "/account/settings?handler=Password",
            new() { ["CurrentPassword"] = KilnTestHost.Password, ["NewPassword"] = "another horse battery staple" });
        changed.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await page.Client.GetAsync("/account/settings")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SignedInAsync(host, other)).ShouldBeFalse();
        (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var now = (await (await page.Client.GetAsync("/api/account/sessions")).Json(HttpStatusCode.OK)).EnumerateArray().ToList();
        now.Count.ShouldBe(1);
        now[0].GetProperty("current").GetBoolean().ShouldBeTrue();
        now[0].Id().ShouldNotBe(sessionId);
        await using (var db = host.NewDbContext())
            (await db.Set<UserSession>().SingleAsync(s => s.Id == sessionId)).RevokeReason.ShouldBe("password_changed");

        // Signing out of this browser ends its row as well.
        (await page.PostFormAsync("/account/settings", "/signout", new())).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        await using (var db = host.NewDbContext())
            (await db.Set<UserSession>().SingleAsync(s => s.Id == now[0].Id())).RevokeReason.ShouldBe("logout");
    }

    private static string CookieNamed(HttpResponseMessage response, string name) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal)).Split(';')[0];

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();
}

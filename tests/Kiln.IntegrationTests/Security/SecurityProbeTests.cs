using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.IntegrationTests.Security;

/// <summary>Regression tests for the holes an outside probe of the running app found (issue 12, findings 1–6).</summary>
public sealed class SecurityProbeTests(PostgresServer pg)
{
    private static async Task<JsonElement> Login(HttpClient c, string email, string password = KilnTestHost.Password) =>
        await (await c.PostAsJsonAsync("/api/auth/login", new { email, password })).Json(HttpStatusCode.OK);

    private static HttpClient Bearer(KilnTestHost host, JsonElement tokens)
    {
        var c = host.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        return c;
    }

    private static Task<HttpResponseMessage> Refresh(HttpClient c, JsonElement tokens) =>
        c.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });

    // Finding 1
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Refresh_tokens_rotate_a_reused_one_ends_its_session_and_sign_out_everywhere_stops_every_token_at_once(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var anon = host.CreateClient();

        var first = await Login(anon, user.Email);
        first.GetProperty("expiresIn").GetInt64().ShouldBe(20 * 60);
        var second = await (await Refresh(anon, first)).Json(HttpStatusCode.OK);
        second.GetProperty("refreshToken").GetString().ShouldNotBe(first.GetProperty("refreshToken").GetString());
        (await Bearer(host, second).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The first token again: it was copied. The whole family ends, its newest token and access token included.
        await (await Refresh(anon, first)).Problem(HttpStatusCode.Unauthorized, "refresh_token_reused");
        await (await Refresh(anon, second)).Problem(HttpStatusCode.Unauthorized, "invalid_refresh_token");
        (await Bearer(host, second).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await using (var db = host.NewDbContext())
            (await db.UserSessions.SingleAsync(s => s.RevokedAt != null && s.UserId == user.UserId)).RevokeReason.ShouldBe("reuse");

        // Logout ends this session only.
        var a = await Login(anon, user.Email);
        var b = await Login(anon, user.Email);
        (await Bearer(host, a).PostAsync("/api/auth/logout", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await Bearer(host, a).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await Refresh(anon, a)).Problem(HttpStatusCode.Unauthorized, "invalid_refresh_token");
        (await Bearer(host, b).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Sign out everywhere ends every session, access token and refresh token of the account.
        var c = await Login(anon, user.Email);
        (await Bearer(host, c).PostAsync("/api/auth/logout-all", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await Bearer(host, b).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await Refresh(anon, b)).Problem(HttpStatusCode.Unauthorized, "invalid_refresh_token");

        // A password change ends every session too.
        var d = await Login(anon, user.Email);
        var newPassword = "a brand new passphrase";
        (await Bearer(host, d).PostAsJsonAsync("/api/account/password", new { currentPassword = KilnTestHost.Password, newPassword })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await Bearer(host, d).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await Refresh(anon, d)).Problem(HttpStatusCode.Unauthorized, "invalid_refresh_token");

        // An operator's lock: the user's tokens stop at once and sign-in is refused until unlocked.
        var e = await Login(anon, user.Email, newPassword);
        var op = await host.SignUpAsync(admin: true);
        (await op.Client.PostAsync($"/api/admin/users/{user.UserId}/lock", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await Bearer(host, e).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await Refresh(anon, e)).Problem(HttpStatusCode.Unauthorized, "invalid_refresh_token");
        await (await anon.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = newPassword })).Problem(HttpStatusCode.Forbidden, "account_locked");
        (await op.Client.PostAsync($"/api/admin/users/{user.UserId}/unlock", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await Login(anon, user.Email, newPassword);
    }

    // Finding 2
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Upload_links_die_at_complete_and_delete_and_a_swapped_object_fails_its_job_with_the_hold_released(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: TextStats());
        var user = await host.SignUpAsync();
        var text = Encoding.UTF8.GetBytes("Clay is fired in a kiln. Glazes melt into glass at high heat.\n");

        // Complete: the link no longer writes, so validated bytes cannot be swapped through it.
        var created = await (await user.Client.PostAsJsonAsync("/api/uploads", new { fileName = "notes.txt", size = text.Length, contentType = "text/plain" })).Json(HttpStatusCode.Created);
        var url = created.GetProperty("parts")[0].GetProperty("url").GetString()!;
        (await user.Client.PutAsync(url, new ByteArrayContent(text))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await user.Client.PostAsJsonAsync($"/api/uploads/{created.Id()}/complete", new { })).Json(HttpStatusCode.OK);
        await (await user.Client.PutAsync(url, new ByteArrayContent(Encoding.UTF8.GetBytes("swapped!")))).Problem(HttpStatusCode.Conflict, "upload_closed");
        await using (var db = host.NewDbContext())
        {
            var upload = await db.Uploads.SingleAsync(u => u.Id == created.Id());
            upload.Sha256.ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(text)));
            (await File.ReadAllBytesAsync(Path.Combine(host.BlobPath, upload.BlobKey))).ShouldBe(text);
        }

        // Delete: the link writes nothing, so no file is left that no row points to.
        var orphan = await (await user.Client.PostAsJsonAsync("/api/uploads", new { fileName = "gone.txt", size = text.Length, contentType = "text/plain" })).Json(HttpStatusCode.Created);
        (await user.Client.DeleteAsync($"/api/uploads/{orphan.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await user.Client.PutAsync(orphan.GetProperty("parts")[0].GetProperty("url").GetString()!, new ByteArrayContent(text))).Problem(HttpStatusCode.Conflict, "upload_closed");
        File.Exists(Path.Combine(host.BlobPath, "ws", user.WorkspaceId.ToString("N"), "uploads", orphan.Id().ToString("N"))).ShouldBeFalse();

        // The object changed behind Kiln's back (as an S3 presigned PUT still can): the job refuses it, the hold is released.
        await File.WriteAllTextAsync(Path.Combine(host.BlobPath, "ws", user.WorkspaceId.ToString("N"), "uploads", created.Id().ToString("N")), "Something else entirely.\n");
        var before = (await user.Client.Balance()).GetProperty("available").GetInt64();
        var job = await (await user.Client.CreateJob("text-stats", null, [created.Id()])).Json(HttpStatusCode.Created);
        var failed = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        failed.GetProperty("status").GetString().ShouldBe("failed", failed.ToString());
        failed.GetProperty("errorCode").GetString().ShouldBe("input_changed");
        var after = await user.Client.Balance();
        after.GetProperty("available").GetInt64().ShouldBe(before);
        after.GetProperty("held").GetInt64().ShouldBe(0);
        await using (var db = host.NewDbContext()) await DbAssertions.LedgerBalances(db);
    }

    // Finding 3
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sign_in_is_limited_per_ip_and_per_account_and_ip_counted_in_the_database_and_never_locks_out_the_right_password(string provider)
    {
        // Ten minutes into the current hour: the limits count in minute and hour windows, and a test run at 08:59 used to
        // see its one-minute step cross into a new hour and the sign-up limit start again.
        var now = DateTimeOffset.UtcNow;
        var clock = new FakeTimeProvider(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 10, 0, TimeSpan.Zero));
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, overrides: new Dictionary<string, string?>
        {
            ["Kiln:RateLimit:AuthPerMinute"] = "5",
            ["Kiln:RateLimit:SignInFailuresPerAccountAndIp"] = "3",
            ["Kiln:RateLimit:SignInFailuresBeforeSlowdown"] = "2",
            ["Kiln:RateLimit:SignInSlowdownMaxSeconds"] = "0.2",
            ["Kiln:RateLimit:SignUpsPerIpPerHour"] = "2",
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        var attacker = FromIp(host, "203.0.113.7");
        var owner = FromIp(host, "198.51.100.20");
        var email = "operator@example.test";
        await (await attacker.PostAsJsonAsync("/api/auth/register", new { email, password = KilnTestHost.Password })).Json(HttpStatusCode.Created);

        // Three wrong passwords from the attacker's IP: that (account, IP) pair is refused, even with the right password.
        for (var i = 0; i < 3; i++)
            await (await attacker.PostAsJsonAsync("/api/auth/login", new { email, password = "wrong guess " + i })).Problem(HttpStatusCode.Unauthorized, "invalid_credentials");
        var refused = await attacker.PostAsJsonAsync("/api/auth/login", new { email, password = KilnTestHost.Password });
        await refused.Problem(HttpStatusCode.TooManyRequests, "rate_limited");
        refused.Headers.RetryAfter.ShouldNotBeNull();

        // The owner, from another IP, still signs in: slowed (the account is under attack), never refused.
        var ok = await owner.PostAsJsonAsync("/api/auth/login", new { email, password = KilnTestHost.Password });
        await ok.Json(HttpStatusCode.OK);
        ok.Headers.Contains("X-Kiln-Slowed").ShouldBeTrue();

        // Per IP: the sixth attempt within the minute is refused; the next minute it is allowed again.
        await (await attacker.PostAsJsonAsync("/api/auth/login", new { email = "someone@example.test", password = "x" })).Problem(HttpStatusCode.Unauthorized, "invalid_credentials");
        var sixth = await attacker.PostAsJsonAsync("/api/auth/login", new { email = "someone@example.test", password = "x" });
        await sixth.Problem(HttpStatusCode.TooManyRequests, "rate_limited");
        int.Parse(sixth.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(1, 60);
        clock.Advance(TimeSpan.FromMinutes(1));
        await (await attacker.PostAsJsonAsync("/api/auth/login", new { email = "someone@example.test", password = "x" })).Problem(HttpStatusCode.Unauthorized, "invalid_credentials");

        // Sign-ups per IP per hour (the free grant is the prize).
        await (await attacker.PostAsJsonAsync("/api/auth/register", new { email = "farm-1@example.test", password = KilnTestHost.Password })).Json(HttpStatusCode.Created);
        await (await attacker.PostAsJsonAsync("/api/auth/register", new { email = "farm-2@example.test", password = KilnTestHost.Password })).Problem(HttpStatusCode.TooManyRequests, "rate_limited");
        clock.Advance(TimeSpan.FromHours(1));
        await (await attacker.PostAsJsonAsync("/api/auth/register", new { email = "farm-2@example.test", password = KilnTestHost.Password })).Json(HttpStatusCode.Created);

        // The counts live in the database, where every web process adds to the same rows.
        await using var db = host.NewDbContext();
        (await db.RateLimitCounters.Where(c => c.Key.StartsWith("signin:203.0.113.7")).SumAsync(c => c.Count)).ShouldBeGreaterThanOrEqualTo(7);
    }

    private static HttpClient FromIp(KilnTestHost host, string ip)
    {
        var handler = host.Server.CreateHandler(ctx => ctx.Connection.RemoteIpAddress = IPAddress.Parse(ip));
        return new HttpClient(handler) { BaseAddress = host.Server.BaseAddress };
    }

    // Finding 4
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Members_cannot_open_the_billing_portal_or_start_a_checkout(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        var member = await host.SignUpAsync();
        await KilnTestHost.JoinAsync(owner, member);
        await (await member.Client.PostAsync("/api/billing/portal", null)).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await member.Client.PostAsJsonAsync("/api/billing/checkout", new { kind = "pack", itemId = "pack-10" })).Problem(HttpStatusCode.Forbidden, "forbidden");
        // The owner passes the role check (and meets the next rule: no provider is configured here).
        (await owner.Client.PostAsync("/api/billing/portal", null)).StatusCode.ShouldNotBe(HttpStatusCode.Forbidden);
    }

    // Finding 5
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Malformed_requests_get_clear_4xx_answers(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, overrides: new Dictionary<string, string?> { ["Kiln:Uploads:PartSize"] = "5242880" });
        var user = await host.SignUpAsync();

        // A multipart completion with a null part or a part without an ETag.
        var big = await (await user.Client.PostAsJsonAsync("/api/uploads", new { fileName = "a.txt", size = 6_000_000, contentType = "text/plain" })).Json(HttpStatusCode.Created);
        await (await user.Client.PostAsync($"/api/uploads/{big.Id()}/complete", new StringContent("""{"parts":[null]}""", Encoding.UTF8, "application/json"))).Problem(HttpStatusCode.BadRequest, "invalid_parts");
        await (await user.Client.PostAsync($"/api/uploads/{big.Id()}/complete", new StringContent("""{"parts":[{"partNumber":1}]}""", Encoding.UTF8, "application/json"))).Problem(HttpStatusCode.BadRequest, "invalid_parts");

        // A JSON endpoint with a wrong or missing Content-Type.
        (await user.Client.PostAsync("/api/jobs", new StringContent("""{"pipeline":"noop"}""", Encoding.UTF8, "text/plain"))).StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        var bare = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"pipeline":"noop"}"""));
        (await user.Client.PostAsync("/api/jobs", bare)).StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);

        // An Idempotency-Key reused with another body.
        var first = await (await user.Client.CreateJob("noop", idempotencyKey: "key-1")).Json(HttpStatusCode.Created);
        (await (await user.Client.CreateJob("noop", idempotencyKey: "key-1")).Json(HttpStatusCode.OK)).Id().ShouldBe(first.Id());
        await (await user.Client.CreateJob("sleep", new { seconds = 0.1 }, idempotencyKey: "key-1")).Problem(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");

        // Email length limits, and names with control or text-direction characters.
        var anon = host.CreateClient();
        await (await anon.PostAsJsonAsync("/api/auth/register", new { email = new string('a', 250) + "@x.io", password = KilnTestHost.Password })).Problem(HttpStatusCode.BadRequest, "invalid_email");
        await (await anon.PostAsJsonAsync("/api/auth/register", new { email = new string('a', 65) + "@example.test", password = KilnTestHost.Password })).Problem(HttpStatusCode.BadRequest, "invalid_email");
        await (await anon.PostAsJsonAsync("/api/auth/register", new { email = "bidi@example.test", password = KilnTestHost.Password, displayName = "Ada\u202Egnp.exe" })).Problem(HttpStatusCode.BadRequest, "invalid_display_name");
        await (await user.Client.PutAsJsonAsync("/api/workspace", new { name = "Team\u0007" })).Problem(HttpStatusCode.BadRequest, "invalid_name");
        await (await user.Client.PutAsJsonAsync("/api/workspace", new { name = "Team \u2066x\u2069" })).Problem(HttpStatusCode.BadRequest, "invalid_name");
    }

    // Finding 6
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Nobody_joins_a_workspace_without_accepting_an_invitation_sent_to_their_address(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        var invitee = await host.SignUpAsync();
        var stranger = await host.SignUpAsync();

        // The same answer for a registered and an unregistered address: nothing reveals who has an account.
        var known = await (await owner.Client.PostAsJsonAsync("/api/workspace/invitations", new { email = invitee.Email, role = "viewer" })).Json(HttpStatusCode.Created);
        var unknown = await (await owner.Client.PostAsJsonAsync("/api/workspace/invitations", new { email = "nobody-yet@example.test" })).Json(HttpStatusCode.Created);
        known.EnumerateObject().Select(p => p.Name).ShouldBe(unknown.EnumerateObject().Select(p => p.Name));
        (await (await owner.Client.GetAsync("/api/workspace/members")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(1);

        var token = known.GetProperty("link").GetString()!.Split("/invitations/")[1];
        await (await stranger.Client.PostAsync($"/api/invitations/{token}/accept", null)).Problem(HttpStatusCode.Forbidden, "invitation_wrong_account");
        (await (await invitee.Client.PostAsync($"/api/invitations/{token}/accept", null)).Json(HttpStatusCode.OK)).GetProperty("workspaceId").GetString().ShouldBe(owner.WorkspaceId.ToString());
        await (await invitee.Client.PostAsync($"/api/invitations/{token}/accept", null)).Problem(HttpStatusCode.NotFound, "invitation_not_found");
        await using (var db = host.NewDbContext())
            (await db.WorkspaceInvitations.IgnoreQueryFilters().CountAsync(i => i.TokenHash.Contains(token))).ShouldBe(0); // only the hash is stored

        // A viewer reads and changes nothing.
        (await (await invitee.Client.GetAsync("/api/me")).Json(HttpStatusCode.OK)).GetProperty("role").GetString().ShouldBe("viewer");
        (await invitee.Client.GetAsync("/api/jobs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await invitee.Client.CreateJob("noop")).Problem(HttpStatusCode.Forbidden, "read_only");

        // Declining closes the link; the page says the invitation is gone.
        var again = await (await owner.Client.PostAsJsonAsync("/api/workspace/invitations", new { email = stranger.Email })).Json(HttpStatusCode.Created);
        var strangerToken = again.GetProperty("link").GetString()!.Split("/invitations/")[1];
        (await (await stranger.Client.PostAsync($"/api/invitations/{strangerToken}/decline", null)).Json(HttpStatusCode.OK)).GetProperty("outcome").GetString().ShouldBe("declined");
        await (await stranger.Client.PostAsync($"/api/invitations/{strangerToken}/accept", null)).Problem(HttpStatusCode.NotFound, "invitation_not_found");
        (await (await owner.Client.GetAsync("/api/workspace/members")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(2);
        var page = await host.CreateClient().GetStringAsync($"/invitations/{strangerToken}");
        page.ShouldContain("does not exist, was already used");
    }

    private static Dictionary<string, string?> TextStats()
    {
        var examples = Path.Combine(S3Server.RepoRoot(), "examples", "pipelines");
        return new Dictionary<string, string?>
        {
            ["Kiln:CommandPipelines:text-stats:Name"] = "Text statistics",
            ["Kiln:CommandPipelines:text-stats:Executable"] = "/usr/bin/python3",
            ["Kiln:CommandPipelines:text-stats:Arguments:0"] = "-I",
            ["Kiln:CommandPipelines:text-stats:Arguments:1"] = Path.Combine(examples, "text-stats.py"),
            ["Kiln:CommandPipelines:text-stats:Arguments:2"] = "{input.source}",
            ["Kiln:CommandPipelines:text-stats:Arguments:3"] = "{output}",
            ["Kiln:CommandPipelines:text-stats:Inputs:0:Name"] = "source",
            ["Kiln:CommandPipelines:text-stats:Inputs:0:Kinds:0"] = "text",
            ["Kiln:CommandPipelines:text-stats:Price:Credits"] = "2",
            ["Kiln:CommandPipelines:text-stats:TimeoutSeconds"] = "60",
        };
    }
}

public sealed class SessionPagesTests(PostgresServer pg)
{
    [Fact]
    public async Task Sign_out_everywhere_on_the_page_ends_cookies_and_bearer_tokens_and_viewers_cannot_post_forms()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var user = await host.SignUpAsync();
        var page = await PageClient.SignInAsync(host, user.Email);
        (await page.Client.GetAsync("/dashboard")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var r = await page.PostFormAsync("/signout", "/signout?handler=Everywhere", new());
        r.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var again = await PageClient.SignInAsync(host, user.Email); // the password still works
        (await again.Client.GetAsync("/dashboard")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // A viewer's form post changes nothing: a queued job stays queued.
        var owner = await host.SignUpAsync();
        var viewer = await host.SignUpAsync();
        await KilnTestHost.JoinAsync(owner, viewer, "viewer");
        var job = (await (await owner.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        var viewerPage = await PageClient.SignInAsync(host, viewer.Email);
        var cancel = await viewerPage.PostFormAsync($"/jobs/{job}", $"/jobs/{job}?handler=Cancel", new());
        cancel.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await (await owner.Client.GetAsync($"/api/jobs/{job}")).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("queued");
        (await viewerPage.Client.GetStringAsync(cancel.Headers.Location!.ToString())).ShouldContain("Viewers can look but not change anything");
    }
}

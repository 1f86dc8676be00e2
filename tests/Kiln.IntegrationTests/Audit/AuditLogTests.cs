using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Audit;

public sealed partial class AuditLogTests(PostgresServer pg)
{
    /// <summary>Every request seems to come from one documentation address, so the stored network can be asserted.</summary>
    private sealed class FixedClientAddress : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, n) => { http.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.77"); return n(http); });
            next(app);
        };
    }

    private static async Task<List<JsonElement>> Events(HttpClient c, string url) =>
        (await (await c.GetAsync(url)).Json(HttpStatusCode.OK)).EnumerateArray().ToList();

    private static JsonElement One(List<JsonElement> events, string action) => events.Single(e => e.GetProperty("action").GetString() == action);

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Security_events_are_recorded_with_actor_network_and_client_owners_see_their_workspace_and_operators_see_all(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false,
            services: s => s.AddSingleton<IStartupFilter, FixedClientAddress>());
        var owner = await host.SignUpAsync();
        var member = await host.SignUpAsync();
        var stranger = await host.SignUpAsync();
        var op = await host.SignUpAsync(admin: true);
        var anon = host.CreateClient();
        anon.DefaultRequestHeaders.UserAgent.ParseAdd("AuditProbe/1.0");

        (await anon.PostAsJsonAsync("/api/auth/login", new { email = owner.Email, password = "not the password" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var key = await (await owner.Client.PostAsJsonAsync("/api/api-keys", new { name = "ci" })).Json(HttpStatusCode.Created);
        (await owner.Client.DeleteAsync($"/api/api-keys/{key.GetProperty("id").GetString()}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await KilnTestHost.JoinAsync(owner, member);
        (await owner.Client.PutAsJsonAsync($"/api/workspace/members/{member.UserId}", new { role = "admin" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await op.Client.PostAsJsonAsync("/api/admin/credits/grant", new { workspaceId = owner.WorkspaceId, amount = 50, reason = "goodwill" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await op.Client.PostAsync($"/api/admin/users/{stranger.UserId}/lock", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var mine = await Events(owner.Client, "/api/workspace/audit");
        mine.Select(e => e.GetProperty("action").GetString()).ShouldBe(
            ["credits.granted", "member.role_changed", "invitation.accepted", "invitation.created", "api_key.revoked", "api_key.created"]);
        mine.ShouldAllBe(e => e.GetProperty("workspaceId").GetGuid() == owner.WorkspaceId);
        var created = One(mine, "api_key.created");
        created.GetProperty("actorUserId").GetGuid().ShouldBe(owner.UserId);
        created.GetProperty("actorEmail").GetString().ShouldBe(owner.Email);
        created.GetProperty("target").GetString()!.ShouldStartWith("kiln_");
        created.GetProperty("ip").GetString().ShouldBe("203.0.113.0/24");
        created.GetProperty("details").GetProperty("name").GetString().ShouldBe("ci");
        One(mine, "member.role_changed").GetProperty("details").GetProperty("to").GetString().ShouldBe("admin");
        One(mine, "invitation.accepted").GetProperty("actorUserId").GetGuid().ShouldBe(member.UserId);
        var grant = One(mine, "credits.granted");
        grant.GetProperty("actorUserId").GetGuid().ShouldBe(op.UserId);
        grant.GetProperty("details").GetProperty("amount").GetInt64().ShouldBe(50);

        // Paging by time and filtering by action.
        var page = await Events(owner.Client, "/api/workspace/audit?limit=2");
        page.Count.ShouldBe(2);
        var older = await Events(owner.Client, $"/api/workspace/audit?limit=2&before={Uri.EscapeDataString(page[^1].GetProperty("at").GetString()!)}");
        older.Select(e => e.GetProperty("action").GetString()).ShouldBe(["invitation.accepted", "invitation.created"]);
        (await Events(owner.Client, "/api/workspace/audit?action=api_key.revoked")).Count.ShouldBe(1);

        // Owners only: the new admin of the workspace is refused, and so is an operator reading a workspace log through it.
        await (await member.Client.GetAsync("/api/workspace/audit")).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await member.Client.GetAsync("/api/workspace/audit/export")).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await owner.Client.GetAsync("/api/admin/audit")).Problem(HttpStatusCode.Forbidden, "forbidden");

        // Operators see installation-wide events: the failed sign-in (with the client and the reason) and the lock.
        var all = await Events(op.Client, "/api/admin/audit?limit=500");
        var failed = One(all, "auth.sign_in_failed");
        failed.GetProperty("actorUserId").GetGuid().ShouldBe(owner.UserId);
        failed.GetProperty("userAgent").GetString().ShouldBe("AuditProbe/1.0");
        failed.GetProperty("details").GetProperty("reason").GetString().ShouldBe("wrong_password");
        all.Count(e => e.GetProperty("action").GetString() == "auth.sign_in").ShouldBe(4);
        One(all, "admin.user_locked").GetProperty("target").GetString().ShouldBe(stranger.UserId.ToString());
        (await Events(op.Client, $"/api/admin/audit?workspaceId={owner.WorkspaceId}")).Count.ShouldBe(mine.Count);
        (await Events(op.Client, $"/api/admin/audit?userId={member.UserId}&action=auth.sign_in")).Count.ShouldBe(1);

        // CSV: a header, one line per event, formula-looking values defused.
        var csv = await owner.Client.GetAsync("/api/workspace/audit/export");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        csv.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("id,at,action,actor_user_id,actor_email,workspace_id,target,ip,user_agent,details");
        lines.Length.ShouldBe(1 + mine.Count);
        lines[1].ShouldContain("credits.granted");
        lines[1].ShouldContain("goodwill");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_reused_refresh_token_and_a_password_change_are_recorded_for_the_account(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var op = await host.SignUpAsync(admin: true);
        var anon = host.CreateClient();
        var tokens = await (await anon.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password })).Json(HttpStatusCode.OK);
        var refresh = new { refreshToken = tokens.GetProperty("refreshToken").GetString() };
        (await anon.PostAsJsonAsync("/api/auth/refresh", refresh)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await anon.PostAsJsonAsync("/api/auth/refresh", refresh)).Problem(HttpStatusCode.Unauthorized, "refresh_token_reused");
        (await user.Client.PostAsJsonAsync("/api/account/password", new { currentPassword = KilnTestHost.Password, newPassword = "another long passphrase" }))
            .StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var events = await Events(op.Client, $"/api/admin/audit?userId={user.UserId}");
        events.Select(e => e.GetProperty("action").GetString()).ShouldBe(
            ["account.password_changed", "auth.refresh_token_reused", "auth.sign_in", "auth.sign_in"]);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Operator_billing_actions_reset_requests_verification_sends_two_factor_failures_and_notification_changes_are_recorded(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var op = await host.SignUpAsync(admin: true);
        var anon = host.CreateClient();
        var failedEvent = Guid.NewGuid();
        var shortfall = Guid.NewGuid();
        await using (var db = host.NewDbContext())
        {
            db.Add(new Kiln.Core.Billing.PaymentEvent
            {
                Id = failedEvent, Provider = "sandbox", EventId = "evt_audit_1", Type = "checkout.completed", Payload = "{}", Status = Kiln.Core.Billing.PaymentEventStatus.Failed,
                Attempts = 3, ReceivedAt = DateTime.UtcNow, NextAttemptAt = DateTime.UtcNow,
            });
            db.Add(new Kiln.Core.Billing.CreditShortfall
            {
                Id = shortfall, WorkspaceId = user.WorkspaceId, PaymentId = Guid.NewGuid(), Provider = "sandbox", RefundId = "re_audit_1",
                CreditsRequested = 100, CreditsClawedBack = 40, Shortfall = 60, CreatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        (await op.Client.PostAsync($"/api/admin/billing/events/{failedEvent}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await op.Client.PostAsync($"/api/admin/billing/shortfalls/{shortfall}/resolve", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        // Resolving again changes nothing and records nothing.
        (await op.Client.PostAsync($"/api/admin/billing/shortfalls/{shortfall}/resolve", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anon.PostAsJsonAsync("/api/auth/password-reset", new { email = user.Email })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await anon.PostAsJsonAsync("/api/auth/password-reset", new { email = "nobody-here@example.test" })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await user.Client.PostAsync("/api/account/verification-email", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await user.Client.PutAsJsonAsync("/api/account/notifications",
            new { jobFinished = false, jobFailed = true, creditsLow = true, paymentReceipt = true, invitation = true })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Kiln.Core.Accounts.KilnUser>>();
            var account = (await users.FindByIdAsync(user.UserId.ToString()))!;
            (await scope.ServiceProvider.GetRequiredService<Kiln.Core.Accounts.TwoFactor.TwoFactorService>().VerifyAsync(account, null, "not-a-code", default)).ShouldBeFalse();
        }

        var all = await Events(op.Client, "/api/admin/audit?limit=500");
        var retried = One(all, "admin.payment_event_retried");
        retried.GetProperty("actorUserId").GetGuid().ShouldBe(op.UserId);
        retried.GetProperty("target").GetString().ShouldBe(failedEvent.ToString());
        retried.GetProperty("details").GetProperty("eventId").GetString().ShouldBe("evt_audit_1");
        var resolved = One(all, "admin.shortfall_resolved");
        resolved.GetProperty("actorUserId").GetGuid().ShouldBe(op.UserId);
        resolved.GetProperty("workspaceId").GetGuid().ShouldBe(user.WorkspaceId);
        resolved.GetProperty("details").GetProperty("shortfall").GetInt64().ShouldBe(60);
        var resets = all.Where(e => e.GetProperty("action").GetString() == "account.password_reset_requested").ToList();
        resets.Count.ShouldBe(2);
        resets.Single(e => e.GetProperty("target").GetString() == user.Email).GetProperty("details").GetProperty("outcome").GetString().ShouldBe("sent");
        resets.Single(e => e.GetProperty("target").GetString() == "nobody-here@example.test").GetProperty("details").GetProperty("outcome").GetString().ShouldBe("unknown_email");
        One(all, "account.verification_email_sent").GetProperty("actorUserId").GetGuid().ShouldBe(user.UserId);
        One(all, "account.notification_preferences_changed").GetProperty("details").GetProperty("jobFinished").GetBoolean().ShouldBeFalse();
        var twoFactor = One(all, "auth.two_factor_failed");
        twoFactor.GetProperty("actorUserId").GetGuid().ShouldBe(user.UserId);
        twoFactor.GetProperty("details").GetProperty("method").GetString().ShouldBe("recovery_code");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Many_events_at_one_instant_are_paged_without_skips_or_repeats_in_the_api_the_page_and_the_csv(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        // One fake-clock instant for every event: more than a CSV slice (500), so every cursor lands inside the tie.
        var instant = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc).AddTicks(1230);
        var ids = new HashSet<Guid>();
        await using (var db = host.NewDbContext())
        {
            for (var i = 0; i < 1100; i++)
            {
                var id = Guid.NewGuid();
                ids.Add(id);
                db.Add(new Kiln.Core.Audit.AuditEvent { Id = id, At = instant, Action = "test.tie", ActorUserId = owner.UserId, WorkspaceId = owner.WorkspaceId });
            }
            await db.SaveChangesAsync();
        }

        var seen = new List<Guid>();
        var url = "/api/workspace/audit?action=test.tie&limit=150";
        for (var pages = 0; ; pages++)
        {
            pages.ShouldBeLessThan(20);
            var page = await Events(owner.Client, url);
            seen.AddRange(page.Select(e => e.Id()));
            if (page.Count < 150) break;
            var last = page[^1];
            url = $"/api/workspace/audit?action=test.tie&limit=150&before={Uri.EscapeDataString(last.GetProperty("at").GetString()!)}&beforeId={last.Id()}";
        }
        seen.Count.ShouldBe(1100);
        seen.ToHashSet().SetEquals(ids).ShouldBeTrue();

        var csv = (await (await owner.Client.GetAsync("/api/workspace/audit/export?action=test.tie")).Content.ReadAsStringAsync())
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => Guid.Parse(l[..36])).ToList();
        csv.Count.ShouldBe(1100);
        csv.ToHashSet().SetEquals(ids).ShouldBeTrue();

        // The page follows its own "Older events" link (100 a page).
        var browser = await PageClient.SignInAsync(host, owner.Email);
        var onPages = new List<Guid>();
        string? next = "/workspace/audit?action=test.tie";
        while (next is not null)
        {
            onPages.Count.ShouldBeLessThan(1200);
            var html = await (await browser.Client.GetAsync(next)).Content.ReadAsStringAsync();
            onPages.AddRange(EventRow().Matches(html).Select(m => Guid.Parse(m.Groups[1].Value)));
            next = NextLink().Match(html) is { Success: true } link ? System.Net.WebUtility.HtmlDecode(link.Groups[1].Value) : null;
        }
        onPages.Count.ShouldBe(1100);
        onPages.ToHashSet().SetEquals(ids).ShouldBeTrue();
    }

    [System.Text.RegularExpressions.GeneratedRegex("data-event=\"([0-9a-f-]{36})\"")]
    private static partial System.Text.RegularExpressions.Regex EventRow();

    [System.Text.RegularExpressions.GeneratedRegex("<a href=\"([^\"]+)\" rel=\"next\"")]
    private static partial System.Text.RegularExpressions.Regex NextLink();
}

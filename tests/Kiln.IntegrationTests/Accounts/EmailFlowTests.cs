using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Accounts.Email;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Accounts;

/// <summary>Email flows against a real SMTP server (maildev): verification, password reset, email change, the outbox while SMTP is down.</summary>
public sealed class EmailFlowTests(PostgresServer pg, MaildevServer mail) : IClassFixture<MaildevServer>
{
    private Task<KilnTestHost> Host(string provider, bool worker = true) => KilnTestHost.StartAsync(provider, pg, worker, mail.Settings);

    private static string NewEmail() => $"mail-{Guid.NewGuid():N}@example.test";

    private static async Task<HttpClient> SignIn(KilnTestHost host, string email, string password = KilnTestHost.Password)
    {
        var tokens = await (await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password })).Json(HttpStatusCode.OK);
        var c = host.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        return c;
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sign_up_emails_a_single_use_link_and_the_free_grant_and_buying_wait_for_it(string provider)
    {
        await using var host = await Host(provider);
        var email = NewEmail();
        var user = await host.SignUpAsync(email);

        // Unverified: signed in, but no free grant yet and no checkout.
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(0);
        await (await user.Client.PostAsJsonAsync("/api/billing/checkout", new { kind = "pack", itemId = "pack-10" })).Problem(HttpStatusCode.Forbidden, "email_not_verified");
        var profile = await (await user.Client.GetAsync("/api/account")).Json(HttpStatusCode.OK);
        profile.GetProperty("emailConfirmed").GetBoolean().ShouldBeFalse();
        profile.GetProperty("verificationRequired").GetBoolean().ShouldBeTrue();

        var message = await mail.WaitForAsync(email, "Confirm your email address");
        message.From.ShouldBe("noreply@kiln.test");
        message.Html.ShouldContain("<a href=\"http://localhost/account/confirm-email?token=");
        var token = message.Token("/account/confirm-email");

        var anon = host.CreateClient();
        var confirmed = await (await anon.PostAsJsonAsync("/api/auth/verify-email", new { token })).Json(HttpStatusCode.OK);
        confirmed.GetProperty("email").GetString().ShouldBe(email);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);

        // The link works once; a second click changes nothing and the grant stays single.
        await (await anon.PostAsJsonAsync("/api/auth/verify-email", new { token })).Problem(HttpStatusCode.BadRequest, "invalid_link");
        await (await user.Client.PostAsync("/api/account/verification-email", null)).Problem(HttpStatusCode.Conflict, "already_verified");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        await using var db = host.NewDbContext();
        (await db.LedgerEntries.IgnoreQueryFilters().CountAsync(e => e.WorkspaceId == user.WorkspaceId)).ShouldBe(1);
        await DbAssertions.LedgerBalances(db);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Password_reset_by_link_never_reveals_the_address_works_once_and_ends_every_session(string provider)
    {
        await using var host = await Host(provider);
        var email = NewEmail();
        var user = await host.SignUpAsync(email);
        var anon = host.CreateClient();

        var unknown = NewEmail();
        (await anon.PostAsJsonAsync("/api/auth/password-reset", new { email = unknown })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await anon.PostAsJsonAsync("/api/auth/password-reset", new { email })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var token = (await mail.WaitForAsync(email, "Reset your Kiln password")).Token("/account/reset-password");

        // A password the rules refuse does not spend the link.
        await (await anon.PostAsJsonAsync("/api/auth/password-reset/confirm", new { token, newPassword = "short" })).Problem(HttpStatusCode.BadRequest, "invalid_password");
        (await anon.PostAsJsonAsync("/api/auth/password-reset/confirm", new { token, newPassword = "a brand new passphrase" })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await anon.PostAsJsonAsync("/api/auth/password-reset/confirm", new { token, newPassword = "yet another passphrase" })).Problem(HttpStatusCode.BadRequest, "invalid_link");

        (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await anon.PostAsJsonAsync("/api/auth/login", new { email, password = KilnTestHost.Password })).Problem(HttpStatusCode.Unauthorized, "invalid_credentials");
        var again = await SignIn(host, email, "a brand new passphrase");
        (await again.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await mail.CountAsync(unknown)).ShouldBe(0);
        await using var db = host.NewDbContext();
        (await db.EmailOutbox.CountAsync(e => e.ToAddress == unknown)).ShouldBe(0);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_email_change_is_confirmed_at_the_new_address_and_the_old_one_is_told(string provider)
    {
        await using var host = await Host(provider);
        var email = NewEmail();
        var user = await host.SignUpAsync(email);
        var next = NewEmail();

        await (await user.Client.PostAsJsonAsync("/api/account/email", new { newEmail = next, currentPassword = "wrong password" })).Problem(HttpStatusCode.BadRequest, "wrong_password");
        (await user.Client.PostAsJsonAsync("/api/account/email", new { newEmail = next, currentPassword = KilnTestHost.Password })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        // Nothing changes until the new address confirms.
        (await (await user.Client.GetAsync("/api/account")).Json(HttpStatusCode.OK)).GetProperty("email").GetString().ShouldBe(email);

        var token = (await mail.WaitForAsync(next, "Confirm your new email address")).Token("/account/confirm-email");
        var confirmed = await (await host.CreateClient().PostAsJsonAsync("/api/auth/verify-email", new { token })).Json(HttpStatusCode.OK);
        confirmed.GetProperty("changed").GetBoolean().ShouldBeTrue();
        var notice = await mail.WaitForAsync(email, "Your Kiln email address was changed");
        notice.Text.ShouldContain(next);

        var signedIn = await SignIn(host, next);
        var profile = await (await signedIn.GetAsync("/api/account")).Json(HttpStatusCode.OK);
        profile.GetProperty("email").GetString().ShouldBe(next);
        profile.GetProperty("emailConfirmed").GetBoolean().ShouldBeTrue();
        await (await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { email, password = KilnTestHost.Password })).Problem(HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Emails_wait_in_the_outbox_while_SMTP_is_down_and_go_out_once_it_is_back()
    {
        await using var host = await Host("sqlite");
        var email = NewEmail();
        await host.SignUpAsync(email);
        await mail.WaitForAsync(email, "Confirm your email address");

        await mail.StopAsync();
        try
        {
            (await host.CreateClient().PostAsJsonAsync("/api/auth/password-reset", new { email })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
            // At least two attempts fail and the message stays pending with the reason.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            OutboxEmail? row = null;
            while (DateTime.UtcNow < deadline)
            {
                await using var db = host.NewDbContext();
                row = await db.EmailOutbox.AsNoTracking().SingleAsync(e => e.ToAddress == email && e.Kind == "password_reset");
                if (row.Attempts >= 2 && row.Status == OutboxStatus.Pending) break;
                await Task.Delay(100);
            }
            row!.Attempts.ShouldBeGreaterThanOrEqualTo(2);
            row.Status.ShouldBe(OutboxStatus.Pending);
            row.LastError.ShouldNotBeNullOrEmpty();
        }
        finally
        {
            await mail.StartAsync();
        }
        await mail.WaitForAsync(email, "Reset your Kiln password");
        await using (var db = host.NewDbContext())
        {
            var sent = await db.EmailOutbox.AsNoTracking().SingleAsync(e => e.ToAddress == email && e.Kind == "password_reset");
            sent.Status.ShouldBe(OutboxStatus.Sent);
        }
        (await mail.AllAsync()).Count(m => m.To == email && m.Subject.Contains("Reset", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Fact]
    public async Task Two_processes_sending_the_same_outbox_send_each_email_once()
    {
        await using var first = await Host("postgres");
        await using var second = KilnTestHost.Start(first.Database, worker: true, mail.Settings);
        var addresses = Enumerable.Range(0, 12).Select(_ => NewEmail()).ToList();
        await using (var db = first.NewDbContext())
        {
            var now = DateTime.UtcNow;
            foreach (var a in addresses)
                db.EmailOutbox.Add(new OutboxEmail
                {
                    Id = Guid.CreateVersion7(), Kind = "test", ToAddress = a, Subject = "Outbox race", TextBody = "hello", HtmlBody = "<p>hello</p>",
                    Status = OutboxStatus.Pending, CreatedAt = now, NextAttemptAt = now,
                });
            await db.SaveChangesAsync();
        }
        foreach (var a in addresses) await mail.WaitForAsync(a, "Outbox race");
        await using (var db = first.NewDbContext())
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (await db.EmailOutbox.CountAsync(e => addresses.Contains(e.ToAddress) && e.Status != OutboxStatus.Sent) > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
            (await db.EmailOutbox.CountAsync(e => addresses.Contains(e.ToAddress) && e.Status == OutboxStatus.Sent && e.Attempts == 1)).ShouldBe(addresses.Count);
        }
        var caught = await mail.AllAsync();
        foreach (var a in addresses) caught.Count(m => m.To == a).ShouldBe(1);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Without_SMTP_verification_is_not_required_and_emails_stay_in_the_local_outbox(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: true);
        var user = await host.SignUpAsync();
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        (await (await user.Client.GetAsync("/api/account")).Json(HttpStatusCode.OK)).GetProperty("verificationRequired").GetBoolean().ShouldBeFalse();
        (await host.CreateClient().PostAsJsonAsync("/api/auth/password-reset", new { email = user.Email })).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await using var db = host.NewDbContext();
        var row = await db.EmailOutbox.AsNoTracking().SingleAsync(e => e.ToAddress == user.Email);
        row.Kind.ShouldBe("password_reset");
        row.Status.ShouldBe(OutboxStatus.Local);
        row.TextBody.ShouldContain("/account/reset-password?token=kat_");
    }

    [Fact]
    public async Task Invitations_and_job_notifications_are_emailed_and_a_switched_off_notification_is_not()
    {
        var settings = mail.Settings;
        settings["Kiln:Email:RequireVerification"] = "false";
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: true, settings);
        var owner = await host.SignUpAsync(NewEmail());
        var invitee = NewEmail();
        (await owner.Client.PostAsJsonAsync("/api/workspace/invitations", new { email = invitee, role = "member" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var invitation = await mail.WaitForAsync(invitee, "You are invited to");
        invitation.Link("/invitations/").ShouldStartWith("http://localhost/invitations/kinv_");

        var done = await (await owner.Client.CreateJob("noop")).Json(HttpStatusCode.Created);
        await owner.Client.WaitForJob(done.Id(), "succeeded");
        var finished = await mail.WaitForAsync(owner.Email, "Your noop job is done");
        finished.Text.ShouldContain($"http://localhost/jobs/{done.Id()}");
        finished.Text.ShouldContain("Account settings → Notifications");

        (await owner.Client.PutAsJsonAsync("/api/account/notifications",
            new { jobFinished = false, jobFailed = true, creditsLow = true, paymentReceipt = true, invitation = true })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var quiet = await (await owner.Client.CreateJob("noop")).Json(HttpStatusCode.Created);
        await owner.Client.WaitForJob(quiet.Id(), "succeeded");
        var failed = await (await owner.Client.CreateJob("fail")).Json(HttpStatusCode.Created);
        await owner.Client.WaitForJob(failed.Id(), "failed");
        await mail.WaitForAsync(owner.Email, "Your fail job failed");
        (await mail.AllAsync()).Count(m => m.To == owner.Email && m.Subject.Contains("is done", StringComparison.Ordinal)).ShouldBe(1);
        await using var db = host.NewDbContext();
        (await db.EmailOutbox.CountAsync(e => e.DedupKey == $"job:{quiet.Id():N}:succeeded")).ShouldBe(0);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Accounts;

/// <summary>TOTP two-factor sign-in over the API, recovery codes, and a workspace that requires it.</summary>
public sealed class TwoFactorTests(PostgresServer pg)
{
    private static async Task<(string Key, string[] Codes)> EnableAsync(TestUser user)
    {
        var setup = await (await user.Client.PostAsync("/api/account/two-factor/setup", null)).Json(HttpStatusCode.OK);
        setup.GetProperty("otpAuthUri").GetString().ShouldStartWith("otpauth://totp/Kiln:");
        setup.GetProperty("qrSvg").GetString()!.ShouldContain("<svg");
        var key = setup.GetProperty("sharedKey").GetString()!;
        await (await user.Client.PostAsJsonAsync("/api/account/two-factor/enable", new { code = "000000" == Totp.Code(key) ? "111111" : "000000" }))
            .Problem(HttpStatusCode.BadRequest, "invalid_two_factor_code");
        var enabled = await (await user.Client.PostAsJsonAsync("/api/account/two-factor/enable", new { code = Totp.Code(key) })).Json(HttpStatusCode.OK);
        var codes = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        codes.Length.ShouldBe(10);
        return (key, codes);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sign_in_asks_for_the_code_after_the_password_and_each_recovery_code_works_once(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var (key, codes) = await EnableAsync(user);
        await using (var db = host.NewDbContext())
        {
            var stored = await db.RecoveryCodes.Where(c => c.UserId == user.UserId).Select(c => c.Hash).ToListAsync();
            stored.Count.ShouldBe(10);
            stored.ShouldNotContain(codes[0]);
            // Turning it on is in the audit log, against the account (no workspace: operators see it).
            (await db.AuditEvents.CountAsync(e => e.ActorUserId == user.UserId && e.Action == Kiln.Core.Audit.AuditActions.TwoFactorEnabled)).ShouldBe(1);
        }

        var anon = host.CreateClient();
        var login = await (await anon.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password }))
            .Problem(HttpStatusCode.Unauthorized, "two_factor_required");
        login.TryGetProperty("accessToken", out _).ShouldBeFalse();
        var challenge = login.GetProperty("challenge").GetString()!;

        await (await anon.PostAsJsonAsync("/api/auth/login/two-factor", new { challenge, code = "12345" })).Problem(HttpStatusCode.BadRequest, "invalid_two_factor_code");
        await (await anon.PostAsJsonAsync("/api/auth/login/two-factor", new { challenge = challenge + "x", code = Totp.Code(key) })).Problem(HttpStatusCode.Unauthorized, "invalid_two_factor_challenge");
        // The code that turned 2FA on was spent then: the app's next code (accepted a step early) signs in, once.
        var next = Totp.Code(key, DateTimeOffset.UtcNow.AddSeconds(30));
        var tokens = await (await anon.PostAsJsonAsync("/api/auth/login/two-factor", new { challenge, code = next })).Json(HttpStatusCode.OK);
        var again = (await (await anon.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password }))
            .Problem(HttpStatusCode.Unauthorized, "two_factor_required")).GetProperty("challenge").GetString()!;
        await (await anon.PostAsJsonAsync("/api/auth/login/two-factor", new { challenge = again, code = next })).Problem(HttpStatusCode.BadRequest, "invalid_two_factor_code");
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
        (await (await client.GetAsync("/api/account")).Json(HttpStatusCode.OK)).GetProperty("twoFactorEnabled").GetBoolean().ShouldBeTrue();

        // A recovery code (typed in capitals, without its dash) works once.
        var typed = codes[3].Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();
        (await anon.PostAsJsonAsync("/api/auth/login/two-factor", new { challenge, recoveryCode = typed })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await anon.PostAsJsonAsync("/api/auth/login/two-factor", new { challenge, recoveryCode = codes[3] })).Problem(HttpStatusCode.BadRequest, "invalid_two_factor_code");
        (await (await client.GetAsync("/api/account")).Json(HttpStatusCode.OK)).GetProperty("recoveryCodesLeft").GetInt32().ShouldBe(9);

        // A password change (a new security stamp) voids open challenges; turning 2FA off needs the password.
        await (await client.PostAsJsonAsync("/api/account/two-factor/disable", new { currentPassword = "wrong password" })).Problem(HttpStatusCode.BadRequest, "wrong_password");
        (await client.PostAsJsonAsync("/api/account/two-factor/disable", new { currentPassword = KilnTestHost.Password })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await anon.PostAsJsonAsync("/api/auth/login/two-factor", new { challenge, code = Totp.Code(key) })).Problem(HttpStatusCode.Unauthorized, "invalid_two_factor_challenge");
        (await anon.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password })).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_owner_can_require_two_factor_and_members_without_it_are_refused_until_they_turn_it_on(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        var member = await host.SignUpAsync();
        await KilnTestHost.JoinAsync(owner, member);
        (await member.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await (await owner.Client.PutAsJsonAsync("/api/workspace/two-factor", new { required = true })).Problem(HttpStatusCode.Conflict, "two_factor_required_for_owner");
        await EnableAsync(owner);
        await (await member.Client.PutAsJsonAsync("/api/workspace/two-factor", new { required = true })).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await (await owner.Client.PutAsJsonAsync("/api/workspace/two-factor", new { required = true })).Json(HttpStatusCode.OK)).GetProperty("required").GetBoolean().ShouldBeTrue();

        await (await member.Client.GetAsync("/api/jobs")).Problem(HttpStatusCode.Forbidden, "two_factor_enrollment_required");
        (await member.Client.GetAsync("/api/account")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetAsync("/api/jobs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await EnableAsync(member);
        (await member.Client.GetAsync("/api/jobs")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.IntegrationTests.Security;

/// <summary>API requests bearing a JWT from a configured outside issuer (issue 12: Clerk, Supabase, Auth0).</summary>
public sealed class ExternalJwtTests(PostgresServer pg)
{
    private static Task<KilnTestHost> Host(string provider, PostgresServer pg, TestIssuer issuer) => KilnTestHost.StartAsync(provider, pg, worker: false,
        new Dictionary<string, string?>
        {
            ["Kiln:Auth:ExternalIssuers:clerk:Issuer"] = issuer.Issuer,
            ["Kiln:Auth:ExternalIssuers:clerk:Audience"] = TestIssuer.Audience,
            ["Kiln:Auth:ExternalIssuers:clerk:JwksUrl"] = issuer.JwksUrl,
            ["Kiln:Auth:ExternalIssuers:clerk:DisplayName"] = "Clerk",
            // Rotation is picked up on the first token with a new kid (production default: at most every 30 s).
            ["Kiln:Auth:ExternalIssuers:clerk:UnknownKidRefreshSeconds"] = "0",
        });

    private static Task<HttpResponseMessage> Me(KilnTestHost host, string token)
    {
        var c = host.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c.GetAsync("/api/me");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_token_from_a_configured_issuer_signs_in_its_subject_and_every_forged_or_stale_token_is_refused(string provider)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var host = await Host(provider, pg, issuer);
        var email = $"jwt-{Guid.NewGuid():N}@example.test";

        // First sight: an account with a personal workspace and the provider connected; the same subject stays that account.
        var first = await (await Me(host, issuer.Token("user_1", email, emailVerified: true))).Json(HttpStatusCode.OK);
        var userId = first.GetProperty("userId").GetGuid();
        first.GetProperty("workspaceId").ValueKind.ShouldBe(JsonValueKind.String);
        (await (await Me(host, issuer.Token("user_1", key: issuer.Ec))).Json(HttpStatusCode.OK)).GetProperty("userId").GetGuid().ShouldBe(userId);
        await using (var db = host.NewDbContext())
            db.UserLogins.Single(l => l.UserId == userId).LoginProvider.ShouldBe("jwt:clerk");

        // The attack suite: all 401, none creates an account.
        var now = DateTime.UtcNow;
        var valid = issuer.Token("user_1");
        var parts = valid.Split('.');
        var forgedPayload = Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("user_1", "user_9", StringComparison.Ordinal));
        var stranger = TestIssuer.NewRsa("rsa-1"); // same kid, different key
        var attacks = new Dictionary<string, string>
        {
            ["alg none"] = issuer.UnsignedToken("user_1"),
            ["HS256 with the public key"] = issuer.PublicKeyAsHmacSecretToken("user_1"),
            ["expired"] = issuer.Token("user_1", notBefore: now.AddMinutes(-30), expires: now.AddMinutes(-5)),
            ["not yet valid"] = issuer.Token("user_1", notBefore: now.AddMinutes(5), expires: now.AddMinutes(30)),
            ["wrong issuer"] = issuer.Token("user_1", issuer: "https://evil.example"),
            ["wrong audience"] = issuer.Token("user_1", audience: "someone-else"),
            ["unknown kid"] = issuer.Token("user_1", key: TestIssuer.NewRsa("made-up")),
            ["known kid, foreign key"] = issuer.Token("user_1", key: stranger),
            ["tampered payload"] = $"{parts[0]}.{forgedPayload}.{parts[2]}",
            ["signature cut off"] = $"{parts[0]}.{parts[1]}.",
        };
        foreach (var (name, token) in attacks)
        {
            var r = await Me(host, token);
            r.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, name);
            r.Headers.WwwAuthenticate.ToString().ShouldContain("invalid_token", customMessage: name);
        }
        await using (var db = host.NewDbContext())
            db.UserLogins.Count(l => l.LoginProvider == "jwt:clerk").ShouldBe(1);

        // Key rotation by kid: the issuer now signs with rsa-2 only; the first token with that kid fetches the new set.
        issuer.Publish(issuer.Rsa2, issuer.Ec);
        (await (await Me(host, issuer.Token("user_1", key: issuer.Rsa2))).Json(HttpStatusCode.OK)).GetProperty("userId").GetGuid().ShouldBe(userId);
        (await Me(host, issuer.Token("user_1", key: issuer.Rsa1))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // An operator's lock applies to external tokens too.
        var op = await host.SignUpAsync(admin: true);
        (await op.Client.PostAsync($"/api/admin/users/{userId}/lock", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await Me(host, issuer.Token("user_1", key: issuer.Rsa2))).Problem(HttpStatusCode.Unauthorized, "account_locked");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_existing_account_is_linked_only_when_the_issuer_says_the_email_is_verified(string provider)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var host = await Host(provider, pg, issuer);
        var existing = await host.SignUpAsync();

        await (await Me(host, issuer.Token("user_2", existing.Email, emailVerified: false))).Problem(HttpStatusCode.Unauthorized, "external_email_unverified");
        await (await Me(host, issuer.Token("user_2", existing.Email))).Problem(HttpStatusCode.Unauthorized, "external_email_unverified");
        await (await Me(host, issuer.Token("user_3"))).Problem(HttpStatusCode.Unauthorized, "external_email_required");

        var linked = await (await Me(host, issuer.Token("user_2", existing.Email, emailVerified: true))).Json(HttpStatusCode.OK);
        linked.GetProperty("userId").GetGuid().ShouldBe(existing.UserId);
        linked.GetProperty("workspaceId").GetGuid().ShouldBe(existing.WorkspaceId);
        // Once linked, the subject is enough (the email claim may be gone or changed).
        (await (await Me(host, issuer.Token("user_2"))).Json(HttpStatusCode.OK)).GetProperty("userId").GetGuid().ShouldBe(existing.UserId);

        var op = await host.SignUpAsync(admin: true);
        var events = await (await op.Client.GetAsync($"/api/admin/audit?userId={existing.UserId}&action=account.provider_linked")).Json(HttpStatusCode.OK);
        events.EnumerateArray().Single().GetProperty("target").GetString().ShouldBe("jwt:clerk");
    }
}

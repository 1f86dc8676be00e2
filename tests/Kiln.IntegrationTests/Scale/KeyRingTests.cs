using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Scale;

/// <summary>The Data Protection key ring lives in the application database, on SQLite as on PostgreSQL.</summary>
public sealed partial class KeyRingTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Tokens_and_cookies_issued_by_one_host_are_read_by_another_on_the_same_database(string provider)
    {
        await using var first = await KilnTestHost.StartAsync(provider, pg, worker: false);
        await using var second = KilnTestHost.Start(first.Database, worker: false);
        await using (var db = first.NewDbContext())
        {
            var keys = await db.DataProtectionKeys.ToListAsync();
            keys.Count.ShouldBe(1);
            keys[0].Xml!.ShouldContain("<key id=");
        }

        var user = await first.SignUpAsync();
        var login = await (await first.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password })).Json(HttpStatusCode.OK);
        var onSecond = second.CreateClient();
        onSecond.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("accessToken").GetString());
        (await onSecond.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("userId").GetString().ShouldBe(user.UserId.ToString());
        var refreshed = await second.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.GetProperty("refreshToken").GetString() });
        refreshed.StatusCode.ShouldBe(HttpStatusCode.OK, await refreshed.Content.ReadAsStringAsync());

        // The sign-in form from the first host, posted to the second; the cookie it sets, presented to the first.
        var options = new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false };
        var form = await first.CreateClient(options).GetAsync("/signin");
        var antiforgery = CookieNamed(form, "kiln.af");
        var token = TokenInput().Match(await form.Content.ReadAsStringAsync()).Groups[1].Value;
        token.ShouldNotBeNullOrEmpty();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = user.Email, ["Password"] = KilnTestHost.Password, ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            }),
        };
        post.Headers.Add("Cookie", antiforgery);
        var signedIn = await second.CreateClient(options).SendAsync(post);
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signedIn.Content.ReadAsStringAsync());
        using var page = new HttpRequestMessage(HttpMethod.Get, "/workspace/api-keys");
        page.Headers.Add("Cookie", CookieNamed(signedIn, "kiln.auth"));
        (await first.CreateClient(options).SendAsync(page)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static string CookieNamed(HttpResponseMessage response, string name) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal)).Split(';')[0];

    [System.Text.RegularExpressions.GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex TokenInput();
}

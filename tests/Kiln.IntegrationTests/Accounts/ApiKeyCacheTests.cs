using System.Net;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Accounts;

/// <summary>
/// A verified API key is remembered by a web process for <c>Kiln:Auth:RevocationCacheSeconds</c>: a key revoked by
/// another process (here: straight in the database) stops working within that window, and "last used" is stamped
/// once, not per request.
/// </summary>
public sealed class ApiKeyCacheTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_key_revoked_elsewhere_stops_working_within_the_revocation_window_and_is_stamped_once(string provider)
    {
        var (host, _, keyId, client) = await StartWithKeyAsync(provider, windowSeconds: 1);
        await using var owned = host;

        for (var i = 0; i < 20; i++) (await client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        DateTime? stamped;
        await using (var db = host.NewDbContext())
            stamped = (await db.ApiKeys.IgnoreQueryFilters().SingleAsync(k => k.Id == keyId)).LastUsedAt;
        stamped.ShouldNotBeNull("the first use is stamped");
        await using (var db = host.NewDbContext())
            (await db.ApiKeys.IgnoreQueryFilters().SingleAsync(k => k.Id == keyId)).LastUsedAt.ShouldBe(stamped, "later uses within the minute are not");

        // Revoked by "another process": this one only learns it from the database once its memory of the key expires.
        await using (var db = host.NewDbContext())
            await db.ApiKeys.IgnoreQueryFilters().Where(k => k.Id == keyId)
                .ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, DateTime.UtcNow), TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(30); // the window is 1 s; the margin is for a starved CI machine
        HttpStatusCode status;
        while ((status = (await client.GetAsync("/api/me")).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
            await Task.Delay(100, TestContext.Current.CancellationToken);
        status.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a revoked key is never remembered");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_key_revoked_through_this_process_is_refused_on_the_next_request_even_with_a_long_window(string provider)
    {
        var (host, owner, keyId, client) = await StartWithKeyAsync(provider, windowSeconds: 3600);
        await using var owned = host;
        (await client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await (await owner.Client.DeleteAsync($"/api/api-keys/{keyId}")).Json(HttpStatusCode.OK);
        (await client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    /// <summary>A host whose processes trust a verified key for <paramref name="windowSeconds"/>, an owner, and a client using a new key.</summary>
    private async Task<(KilnTestHost Host, TestUser Owner, Guid KeyId, HttpClient Client)> StartWithKeyAsync(string provider, int windowSeconds)
    {
        var host = await KilnTestHost.StartAsync(provider, pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Auth:RevocationCacheSeconds"] = windowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var owner = await host.SignUpAsync();
        var created = await (await owner.Client.PostAsJsonAsync("/api/api-keys", new { name = "script" })).Json(HttpStatusCode.Created);
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", created.GetProperty("key").GetString()!);
        return (host, owner, created.Id(), client);
    }
}

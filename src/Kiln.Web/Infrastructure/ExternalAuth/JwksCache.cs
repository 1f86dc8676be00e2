using System.Collections.Concurrent;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Web.Infrastructure.ExternalAuth;

/// <summary>
/// Signing keys per issuer, fetched from its JWKS URL and kept in memory. A token whose kid is unknown fetches the set
/// again (the issuer rotated its keys) — at most once per <see cref="ExternalIssuerOptions.UnknownKidRefreshSeconds"/>, so
/// a flood of made-up kids cannot turn Kiln into a load generator against the issuer.
/// </summary>
public sealed class JwksCache(IHttpClientFactory http, TimeProvider clock, ILogger<JwksCache> log)
{
    public const string HttpClientName = "kiln-jwks";

    private sealed class Entry
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public List<SecurityKey> Keys = [];
        public DateTimeOffset FetchedAt = DateTimeOffset.MinValue;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<SecurityKey>> GetSigningKeysAsync(ExternalIssuerOptions issuer, string? kid, CancellationToken ct)
    {
        var entry = _entries.GetOrAdd(issuer.JwksUrl, _ => new Entry());
        if (Fresh(entry, issuer, kid)) return entry.Keys;
        await entry.Gate.WaitAsync(ct);
        try
        {
            if (Fresh(entry, issuer, kid)) return entry.Keys;
            var now = clock.GetUtcNow();
            var unknownKid = entry.Keys.Count > 0 && now - entry.FetchedAt < TimeSpan.FromMinutes(issuer.JwksRefreshMinutes);
            if (unknownKid && now - entry.FetchedAt < TimeSpan.FromSeconds(issuer.UnknownKidRefreshSeconds)) return entry.Keys;
            try
            {
                var client = http.CreateClient(HttpClientName);
                var json = await client.GetStringAsync(issuer.JwksUrl, ct);
                entry.Keys = new JsonWebKeySet(json).GetSigningKeys().ToList();
                entry.FetchedAt = now;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ArgumentException or System.Text.Json.JsonException)
            {
                // Keep the keys we had: an issuer's brief outage should not sign everyone out.
                log.LogWarning(e, "Fetching the signing keys from {JwksUrl} failed", issuer.JwksUrl);
                if (entry.Keys.Count == 0) throw new SecurityTokenSignatureKeyNotFoundException($"The signing keys of {issuer.Issuer} could not be fetched.", e);
                entry.FetchedAt = now - TimeSpan.FromMinutes(issuer.JwksRefreshMinutes) + TimeSpan.FromSeconds(issuer.UnknownKidRefreshSeconds);
            }
            return entry.Keys;
        }
        finally { entry.Gate.Release(); }
    }

    private bool Fresh(Entry entry, ExternalIssuerOptions issuer, string? kid) =>
        entry.Keys.Count > 0 && clock.GetUtcNow() - entry.FetchedAt < TimeSpan.FromMinutes(issuer.JwksRefreshMinutes)
        && (kid is null || entry.Keys.Any(k => k.KeyId == kid));
}

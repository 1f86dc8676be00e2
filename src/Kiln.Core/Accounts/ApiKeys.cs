using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Audit;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Accounts;

public sealed record CreatedApiKey(ApiKey Key, string Secret);

/// <summary>API keys look like <c>kiln_{8-char prefix}_{secret}</c>; only the SHA-256 of the whole key is stored.</summary>
public static class ApiKeyFormat
{
    public const string Scheme = "kiln_";

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}

public sealed class CreateApiKeyCommand(KilnDbContext db, TimeProvider clock, IAuditLog audit)
{
    public async Task<Result<CreatedApiKey>> Run(Caller caller, string name, CancellationToken ct)
    {
        if (caller.RequireAdmin("manage API keys") is { } forbidden) return forbidden;
        name = name.Trim();
        if (TextRules.CheckName(name, "invalid_name", "key name", 200) is { } bad) return bad;
        var prefix = Ids.Token(6)[..8];
        var secret = $"{ApiKeyFormat.Scheme}{prefix}_{Ids.Token(24)}";
        var key = new ApiKey
        {
            Id = Ids.New(), WorkspaceId = caller.Workspace, Name = name, Prefix = $"{ApiKeyFormat.Scheme}{prefix}", Hash = ApiKeyFormat.Hash(secret),
            CreatedByUserId = caller.UserId, CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditEntry.By(caller, AuditActions.ApiKeyCreated, key.Prefix, new { key.Id, key.Name }), ct);
        return new CreatedApiKey(key, secret);
    }
}

public sealed class RevokeApiKeyCommand(KilnDbContext db, TimeProvider clock, IAuditLog audit, ApiKeyCache cache)
{
    public async Task<Result<ApiKey>> Run(Caller caller, Guid keyId, CancellationToken ct)
    {
        if (caller.RequireAdmin("manage API keys") is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId && k.WorkspaceId == workspaceId, ct);
        if (key is null) return Error.NotFound("API key");
        if (key.RevokedAt is not null) return key;
        key.RevokedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        cache.Forget(key.Id);
        await audit.RecordAsync(AuditEntry.By(caller, AuditActions.ApiKeyRevoked, key.Prefix, new { key.Id, key.Name }), ct);
        return key;
    }
}

public sealed class ListApiKeysQuery(KilnDbContext db)
{
    public Task<List<ApiKey>> Run(Guid workspaceId, CancellationToken ct) =>
        db.ApiKeys.AsNoTracking().Where(k => k.WorkspaceId == workspaceId).OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
}

/// <summary>What a verified API key grants: its id, workspace and name.</summary>
public sealed record VerifiedApiKey(Guid Id, Guid WorkspaceId, string Name);

/// <summary>
/// Resolves a presented key to its workspace, or null. A verified key is remembered by this process for
/// <see cref="Sessions.AuthOptions.RevocationCacheSeconds"/> (the same window as a revoked session's access token), so a
/// script polling a job's status costs no database read per request; a key revoked in this process is forgotten at once,
/// in another web process within that window. Unknown and revoked keys are never remembered. <c>LastUsedAt</c> is written
/// at most once a minute per key and process, by one request, in one UPDATE. The request's <see cref="KilnDbContext"/>
/// is resolved only when the database is needed: building one for a remembered key cost about a tenth of a status
/// request's CPU.
/// </summary>
public sealed class AuthenticateApiKeyQuery(IServiceProvider requestServices, TimeProvider clock, ApiKeyCache cache)
{
    private static readonly TimeSpan StampEvery = TimeSpan.FromMinutes(1);

    private KilnDbContext Db => requestServices.GetRequiredService<KilnDbContext>();

    public async Task<VerifiedApiKey?> Run(string presented, CancellationToken ct)
    {
        if (!presented.StartsWith(ApiKeyFormat.Scheme, StringComparison.Ordinal)) return null;
        var hash = ApiKeyFormat.Hash(presented);
        var now = clock.GetUtcNow().UtcDateTime;
        var entry = cache.Find(hash, now);
        if (entry is null)
        {
            var key = await Db.ApiKeys.IgnoreQueryFilters().AsNoTracking()
                .Where(k => k.Hash == hash && k.RevokedAt == null)
                .Select(k => new { k.Id, k.WorkspaceId, k.Name, k.LastUsedAt })
                .FirstOrDefaultAsync(ct);
            if (key is null) return null;
            entry = cache.Remember(hash, new VerifiedApiKey(key.Id, key.WorkspaceId, key.Name), key.LastUsedAt, now);
        }
        if (entry.ClaimStamp(now, StampEvery))
        {
            var id = entry.Key.Id;
            await Db.ApiKeys.IgnoreQueryFilters().Where(k => k.Id == id).ExecuteUpdateAsync(k => k.SetProperty(x => x.LastUsedAt, now), ct);
        }
        return entry.Key;
    }
}

/// <summary>The verified API keys this process remembers, by hash (see <see cref="AuthenticateApiKeyQuery"/>).</summary>
public sealed class ApiKeyCache(Microsoft.Extensions.Options.IOptions<Sessions.AuthOptions> options)
{
    private const int MaxEntries = 50_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    internal Entry? Find(string hash, DateTime now) =>
        _entries.TryGetValue(hash, out var e) && e.Until > now ? e : null;

    internal Entry Remember(string hash, VerifiedApiKey key, DateTime? lastUsedAt, DateTime now)
    {
        if (_entries.Count >= MaxEntries) _entries.Clear();
        var previous = _entries.TryGetValue(hash, out var old) ? old.LastStampTicks : 0;
        var entry = new Entry(key, now.AddSeconds(Math.Max(0, options.Value.RevocationCacheSeconds)), Math.Max(previous, lastUsedAt?.Ticks ?? 0));
        _entries[hash] = entry;
        return entry;
    }

    /// <summary>This process revoked the key: refuse it from the next request on.</summary>
    public void Forget(Guid keyId)
    {
        foreach (var (hash, e) in _entries)
            if (e.Key.Id == keyId) _entries.TryRemove(hash, out _);
    }

    internal sealed class Entry(VerifiedApiKey key, DateTime until, long lastStampTicks)
    {
        private long _lastStampTicks = lastStampTicks;
        public VerifiedApiKey Key { get; } = key;
        public DateTime Until { get; } = until;
        public long LastStampTicks => Interlocked.Read(ref _lastStampTicks);

        /// <summary>True for the one caller that should write the "last used" stamp now.</summary>
        public bool ClaimStamp(DateTime now, TimeSpan every)
        {
            var last = Interlocked.Read(ref _lastStampTicks);
            return now.Ticks - last >= every.Ticks && Interlocked.CompareExchange(ref _lastStampTicks, now.Ticks, last) == last;
        }
    }
}

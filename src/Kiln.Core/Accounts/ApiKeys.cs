using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Audit;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

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

public sealed class RevokeApiKeyCommand(KilnDbContext db, TimeProvider clock, IAuditLog audit)
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
        await audit.RecordAsync(AuditEntry.By(caller, AuditActions.ApiKeyRevoked, key.Prefix, new { key.Id, key.Name }), ct);
        return key;
    }
}

public sealed class ListApiKeysQuery(KilnDbContext db)
{
    public Task<List<ApiKey>> Run(Guid workspaceId, CancellationToken ct) =>
        db.ApiKeys.AsNoTracking().Where(k => k.WorkspaceId == workspaceId).OrderByDescending(k => k.CreatedAt).ToListAsync(ct);
}

/// <summary>Resolves a presented key to its workspace, or null. Touches LastUsedAt at most once a minute.</summary>
public sealed class AuthenticateApiKeyQuery(KilnDbContext db, TimeProvider clock)
{
    public async Task<ApiKey?> Run(string presented, CancellationToken ct)
    {
        if (!presented.StartsWith(ApiKeyFormat.Scheme, StringComparison.Ordinal)) return null;
        var hash = ApiKeyFormat.Hash(presented);
        var key = await db.ApiKeys.IgnoreQueryFilters().FirstOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, ct);
        if (key is null) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (key.LastUsedAt is null || now - key.LastUsedAt > TimeSpan.FromMinutes(1))
        {
            key.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }
        return key;
    }
}

using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Data;

/// <summary>
/// ASP.NET Core Data Protection with its key ring in the application database (<c>data_protection_keys</c>) and a fixed
/// application name, so the sign-in cookie, bearer and refresh tokens and antiforgery tokens that one web process
/// issues are read by every other one, and by itself after a restart or a new deployment (the default discriminator
/// is the content root path, which differs between machines and releases).
/// </summary>
/// <remarks>
/// The keys are stored as XML without a second layer of encryption: the database (and its backups) must be protected
/// like the secrets it already holds (password hashes, webhook secrets).
/// </remarks>
public static class KilnDataProtection
{
    public const string ApplicationName = "kiln";

    public static IServiceCollection AddKilnDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToDbContext<KilnDbContext>();
        return services;
    }

    /// <summary>
    /// Makes sure the ring has a usable key before the host serves anything (the web host calls this): without it,
    /// two processes starting together on an empty ring would each create their own key and refuse each other's
    /// cookies until their next ring refresh (24 h).
    /// </summary>
    public static IServiceCollection AddKilnDataProtectionKeyCheck(this IServiceCollection services)
    {
        services.AddHostedService<DataProtectionKeyBootstrap>();
        return services;
    }
}

/// <summary>
/// Creates the first key under a PostgreSQL advisory lock (so exactly one process creates it), before any hosted
/// service starts. On SQLite (one machine, usually one web process) the check runs without a lock.
/// </summary>
internal sealed class DataProtectionKeyBootstrap(IServiceScopeFactory scopes, IKeyManager keys, TimeProvider time, ILogger<DataProtectionKeyBootstrap> log)
    : IHostedLifecycleService
{
    // "kilndpk1" as a 64-bit advisory lock id (0x6B696C6E64706B31).
    private const string Lock = "SELECT pg_advisory_lock(7739836656000199473)";
    private const string Unlock = "SELECT pg_advisory_unlock(7739836656000199473)";

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
            if (!db.IsPostgres)
            {
                CreateKeyIfNone();
                return;
            }
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await db.Database.ExecuteSqlRawAsync(Lock, cancellationToken);
                try { CreateKeyIfNone(); }
                finally { await db.Database.ExecuteSqlRawAsync(Unlock, CancellationToken.None); }
            }
            finally { await db.Database.CloseConnectionAsync(); }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not fatal: the ring creates a key on first use; only the start-up race above is left open.
            log.LogWarning(ex, "Could not check the Data Protection key ring in the database at start-up");
        }
    }

    private void CreateKeyIfNone()
    {
        var now = time.GetUtcNow();
        if (keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now)) return;
        var key = keys.CreateNewKey(now, now.AddDays(90));
        log.LogInformation("Created Data Protection key {KeyId} in the database", key.KeyId);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

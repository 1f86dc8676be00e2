using Kiln.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Webhooks;

/// <summary>
/// Webhook signing secrets at rest: encrypted with ASP.NET Data Protection, whose key ring is in the database
/// (<see cref="KilnDataProtection"/>), so every web and worker process reads what any of them wrote. Stored values carry
/// a <c>dp1:</c> prefix; a value without it is a plaintext secret from before encryption, which still works (read as is)
/// until <see cref="WebhookSecretEncryption"/> rewrites it at startup.
/// </summary>
/// <remarks>
/// A database dump alone no longer reveals the secrets — but the key ring is in the same database, so this protects
/// against leaks of the endpoint rows (logs, exports, partial dumps), not against someone holding the whole database.
/// </remarks>
public sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    public const string Prefix = "dp1:";
    private readonly IDataProtector _protector = provider.CreateProtector("Kiln.Webhooks.EndpointSecret.v1");

    public string Protect(string secret) => Prefix + _protector.Protect(secret);

    public string Reveal(string stored) => IsProtected(stored) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);
}

/// <summary>
/// Encrypts plaintext webhook secrets left from before <see cref="WebhookSecrets"/> (once, at startup, in batches). Each
/// row is rewritten only if it still holds the plaintext it was read with, so two processes starting together cannot
/// encrypt a secret twice.
/// </summary>
public sealed class WebhookSecretEncryption(IServiceScopeFactory scopes, ILogger<WebhookSecretEncryption> log) : BackgroundService
{
    /// <summary>Rows encrypted by this process since it started (for tests and the log).</summary>
    public int Encrypted { get; private set; }

    /// <summary>Done with the pass (whatever it found).</summary>
    public Task Completion => _done.Task;

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
            var secrets = scope.ServiceProvider.GetRequiredService<WebhookSecrets>();
            while (!stoppingToken.IsCancellationRequested)
            {
                var batch = await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking()
                    .Where(e => !e.Secret.StartsWith(WebhookSecrets.Prefix)).Select(e => new { e.Id, e.Secret }).Take(100).ToListAsync(stoppingToken);
                if (batch.Count == 0) break;
                foreach (var row in batch)
                {
                    var protectedSecret = secrets.Protect(row.Secret);
                    Encrypted += await db.Set<WebhookEndpoint>().IgnoreQueryFilters().Where(e => e.Id == row.Id && e.Secret == row.Secret)
                        .ExecuteUpdateAsync(s => s.SetProperty(e => e.Secret, protectedSecret), stoppingToken);
                }
            }
            if (Encrypted > 0) log.LogInformation("Encrypted {Count} plaintext webhook secrets at rest", Encrypted);
            _done.TrySetResult();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { _done.TrySetCanceled(stoppingToken); }
        catch (Exception e)
        {
            // The plaintext rows keep working (they are read as is); the next start tries again.
            log.LogError(e, "Encrypting plaintext webhook secrets failed");
            _done.TrySetException(e);
        }
    }
}

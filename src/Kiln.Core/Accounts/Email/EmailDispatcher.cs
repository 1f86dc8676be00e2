using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Accounts.Email;

/// <summary>
/// Sends what is due in the outbox. Each message is claimed with a conditional UPDATE (pending and due, or a sender's
/// claim that ran out), so any number of processes may run this at once and a message goes to one of them. A message
/// that could not be sent (server down, a 4xx) goes back to pending with a doubling backoff and is retried without
/// limit — nothing is lost while SMTP is down; one the server refuses for good is marked failed with the reason.
/// Delivery is at least once: a process that dies after the server accepted a message, before marking it sent, leaves
/// it to be sent again when its claim runs out.
/// </summary>
public sealed class EmailDispatcher(IServiceScopeFactory scopes, IEmailSender sender, IOptions<EmailOptions> options, TimeProvider clock, ILogger<EmailDispatcher> log)
{
    public async Task<int> RunOnceAsync(int batch, CancellationToken ct)
    {
        if (!options.Value.SmtpConfigured) return 0;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Set<OutboxEmail>().AsNoTracking()
            .Where(e => (e.Status == OutboxStatus.Pending && e.NextAttemptAt <= now) || (e.Status == OutboxStatus.Sending && e.LockedUntil < now))
            .OrderBy(e => e.NextAttemptAt).Select(e => e.Id).Take(batch).ToListAsync(ct);
        var sent = 0;
        foreach (var id in due)
        {
            if (await ClaimAsync(db, id, ct) is not { } claim) continue;
            var email = await db.Set<OutboxEmail>().AsNoTracking().FirstAsync(e => e.Id == id, ct);
            try
            {
                await sender.SendAsync(email, ct);
                await Finish(db, id, claim, s => s.SetProperty(e => e.Status, OutboxStatus.Sent).SetProperty(e => e.SentAt, clock.GetUtcNow().UtcDateTime)
                    .SetProperty(e => e.LockedUntil, (DateTime?)null).SetProperty(e => e.LastError, (string?)null), ct);
                sent++;
            }
            catch (EmailRejectedException ex)
            {
                log.LogWarning("Email {EmailId} ({Kind}) was refused for good: {Reason}", id, email.Kind, ex.Message);
                await Finish(db, id, claim, s => s.SetProperty(e => e.Status, OutboxStatus.Failed).SetProperty(e => e.LockedUntil, (DateTime?)null)
                    .SetProperty(e => e.LastError, Cut(ex.Message)), ct);
            }
            catch (EmailDeferredException ex)
            {
                var next = clock.GetUtcNow().UtcDateTime + Backoff(email.Attempts);
                log.LogWarning("Email {EmailId} ({Kind}) not sent, retrying at {NextAttempt}: {Reason}", id, email.Kind, next, ex.Message);
                await Finish(db, id, claim, s => s.SetProperty(e => e.Status, OutboxStatus.Pending).SetProperty(e => e.NextAttemptAt, next)
                    .SetProperty(e => e.LockedUntil, (DateTime?)null).SetProperty(e => e.LastError, Cut(ex.Message)), ct);
                // The server is down for this message, most likely for the rest too: leave them to the next pass.
                break;
            }
        }
        return sent;
    }

    /// <summary>The wait after the n-th failed attempt: base, 2×base, 4×base, … capped.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var o = options.Value;
        var seconds = o.BackoffBaseSeconds * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, o.MaxBackoffSeconds));
    }

    private async Task<Guid?> ClaimAsync(KilnDbContext db, Guid id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now.AddSeconds(options.Value.SendTimeoutSeconds);
        var claim = Ids.New();
        var won = await db.Set<OutboxEmail>()
            .Where(e => e.Id == id && ((e.Status == OutboxStatus.Pending && e.NextAttemptAt <= now) || (e.Status == OutboxStatus.Sending && e.LockedUntil < now)))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, OutboxStatus.Sending).SetProperty(e => e.LockedUntil, until)
                .SetProperty(e => e.ClaimToken, claim).SetProperty(e => e.Attempts, e => e.Attempts + 1), ct);
        return won == 1 ? claim : null;
    }

    private static Task<int> Finish(KilnDbContext db, Guid id, Guid claim,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<OutboxEmail>> set, CancellationToken ct) =>
        // CancellationToken.None: once the server has the message, its row must say so even while the host stops.
        db.Set<OutboxEmail>().Where(e => e.Id == id && e.ClaimToken == claim && e.Status == OutboxStatus.Sending).ExecuteUpdateAsync(set, CancellationToken.None);

    private static string Cut(string s) => s.Length > 1000 ? s[..1000] : s;
}

/// <summary>The outbox loop of a worker (or of the web process in embedded mode). Idle when SMTP is not configured.</summary>
public sealed class EmailOutboxWorker(EmailDispatcher dispatcher, IServiceScopeFactory scopes, TimeProvider clock, IOptions<EmailOptions> options,
    ILogger<EmailOutboxWorker> log) : ScopedLoop(scopes, clock, log)
{
    protected override string Name => "Email outbox loop";
    protected override TimeSpan IdleDelay => TimeSpan.FromSeconds(Math.Max(0.05, options.Value.PollSeconds));
    protected override LogLevel FailureLevel => LogLevel.Warning;

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        if (!options.Value.SmtpConfigured) return false;
        var queued = await services.GetRequiredService<NotificationEmails>().ScanAsync(ct);
        return await dispatcher.RunOnceAsync(20, ct) > 0 || queued > 0;
    }
}

using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

public sealed record WebhookReceipt(Guid EventId, bool Duplicate);

/// <summary>
/// Webhook intake for every provider (and the sandbox): verify on the raw bytes, store once, answer. Nothing is
/// credited here — that is <see cref="ProcessPaymentEventsCommand"/>'s job — so the provider gets its 2xx fast.
/// </summary>
public sealed class ReceiveWebhookCommand(KilnDbContext db, PaymentProviders providers, TimeProvider clock)
{
    public async Task<Result<WebhookReceipt>> Run(string providerName, byte[] body, IReadOnlyDictionary<string, string> headers, CancellationToken ct)
    {
        var found = providers.Find(providerName);
        if (!found.IsSuccess) return found.Error!;
        var provider = found.Value!;
        var parsed = provider.ParseWebhook(body, new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase));
        if (!parsed.IsSuccess) return parsed.Error!;
        var hook = parsed.Value!;

        if (await Existing(provider.Name, hook.EventId, ct) is { } existing)
            return await Duplicate(existing, hook, ct);

        var now = clock.GetUtcNow().UtcDateTime;
        var evt = new PaymentEvent
        {
            Id = Ids.New(), Provider = provider.Name, EventId = hook.EventId, Type = Truncate(hook.Type, 100), Payload = hook.Payload,
            ReceivedAt = now, Status = PaymentEventStatus.Pending, NextAttemptAt = now,
        };
        db.Set<PaymentEvent>().Add(evt);
        try
        {
            await db.SaveChangesAsync(ct);
            return new WebhookReceipt(evt.Id, false);
        }
        catch (DbUpdateException)
        {
            // A concurrent delivery of the same event won the unique (provider, event_id) index.
            db.ChangeTracker.Clear();
            if (await Existing(provider.Name, hook.EventId, ct) is { } winner) return await Duplicate(winner, hook, ct);
            throw;
        }
    }

    private Task<PaymentEvent?> Existing(string provider, string eventId, CancellationToken ct) =>
        db.Set<PaymentEvent>().AsNoTracking().FirstOrDefaultAsync(e => e.Provider == provider && e.EventId == eventId, ct);

    private async Task<Result<WebhookReceipt>> Duplicate(PaymentEvent existing, ParsedWebhook hook, CancellationToken ct)
    {
        if (hook.RearmOnDuplicate)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            // Also while processing: the worker's "processed" update then no longer matches, so the event runs again
            // and sees the change its own fetch may have missed.
            await db.Set<PaymentEvent>()
                .Where(e => e.Id == existing.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, PaymentEventStatus.Pending).SetProperty(e => e.NextAttemptAt, now), ct);
        }
        return new WebhookReceipt(existing.Id, true);
    }

    internal static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}

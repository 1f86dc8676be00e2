using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Accounts.Email;

/// <summary>
/// Puts emails in the outbox. <see cref="Add"/> only stages the row on the caller's context, so the email commits (or
/// rolls back) with the change it reports; <see cref="SendAsync"/> saves at once. Without SMTP the row is stored as
/// <see cref="OutboxStatus.Local"/>: operators read it on the admin page and nothing ever tries to send it.
/// </summary>
public sealed class EmailOutbox(KilnDbContext db, IOptions<EmailOptions> options, TimeProvider clock)
{
    public EmailOptions Options => options.Value;

    public OutboxEmail Add(string to, EmailContent content, Guid? userId)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var email = new OutboxEmail
        {
            Id = Ids.New(), Kind = content.Kind, UserId = userId, ToAddress = to, Subject = content.Subject,
            TextBody = content.Text, HtmlBody = content.Html, CreatedAt = now, NextAttemptAt = now,
            Status = options.Value.SmtpConfigured ? OutboxStatus.Pending : OutboxStatus.Local,
        };
        db.Add(email);
        return email;
    }

    /// <summary>
    /// An operator sends a failed, waiting or local-only message again at the next pass. Only with SMTP configured (else
    /// nothing would send it); a message being sent or already sent is left alone. Returns whether it was queued.
    /// </summary>
    public async Task<bool> RetryAsync(Guid id, CancellationToken ct)
    {
        if (!options.Value.SmtpConfigured) return false;
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.EmailOutbox.Where(e => e.Id == id && (e.Status == OutboxStatus.Failed || e.Status == OutboxStatus.Pending || e.Status == OutboxStatus.Local))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, OutboxStatus.Pending).SetProperty(e => e.NextAttemptAt, now), ct) == 1;
    }

    public async Task<OutboxEmail> SendAsync(string to, EmailContent content, Guid? userId, CancellationToken ct)
    {
        var email = Add(to, content, userId);
        await db.SaveChangesAsync(ct);
        return email;
    }
}

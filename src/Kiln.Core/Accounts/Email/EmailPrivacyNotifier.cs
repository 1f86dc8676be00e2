using Kiln.Core.Privacy;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Accounts.Email;

/// <summary>
/// Tells the person about their data export and their scheduled account deletion through the outbox (privacy's
/// <see cref="IPrivacyNotifier"/>). These are not notifications a user can switch off: they answer the person's own request.
/// </summary>
public sealed class EmailPrivacyNotifier(EmailOutbox outbox, IOptions<EmailOptions> options) : IPrivacyNotifier
{
    public Task ExportReadyAsync(Guid userId, string email, Guid exportId, DateTime expiresAt, CancellationToken ct) =>
        outbox.SendAsync(email, EmailTemplates.DataExportReady(expiresAt, options.Value.Link("/account/privacy")), userId, ct);

    public Task DeletionScheduledAsync(Guid userId, string email, DateTime dueAt, CancellationToken ct) =>
        outbox.SendAsync(email, EmailTemplates.AccountDeletionScheduled(dueAt, options.Value.Link("/account/privacy")), userId, ct);
}

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
        Send(email, EmailTemplates.DataExportReady(expiresAt, options.Value.Link("/account/privacy")), userId, ct);

    public Task DeletionScheduledAsync(Guid userId, string email, DateTime dueAt, CancellationToken ct) =>
        Send(email, EmailTemplates.AccountDeletionScheduled(dueAt, options.Value.Link("/account/privacy")), userId, ct);

    // An account without an address (created by a provider that shared none) has nowhere to be told; the page still shows it.
    private Task Send(string email, EmailContent content, Guid userId, CancellationToken ct) =>
        string.IsNullOrWhiteSpace(email) ? Task.CompletedTask : outbox.SendAsync(email, content, userId, ct);
}

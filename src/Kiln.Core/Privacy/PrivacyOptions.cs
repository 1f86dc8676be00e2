using Microsoft.Extensions.Logging;

namespace Kiln.Core.Privacy;

/// <summary>Bound from <c>Kiln:Privacy</c>.</summary>
public sealed class PrivacyOptions
{
    public const string Section = "Kiln:Privacy";
    /// <summary>Days between asking to delete an account and the deletion; the person can cancel until then.</summary>
    public int DeletionGraceDays { get; set; } = 7;
    /// <summary>Days a finished data export can be downloaded before its zip is deleted.</summary>
    public int ExportLifetimeDays { get; set; } = 7;
}

/// <summary>
/// Where Kiln tells a person about their data: the export is ready, the deletion is scheduled. The seam for the email
/// outbox; until one is registered, the default only logs (the pages and the API show the same facts).
/// </summary>
public interface IPrivacyNotifier
{
    Task ExportReadyAsync(Guid userId, string email, Guid exportId, DateTime expiresAt, CancellationToken ct);
    Task DeletionScheduledAsync(Guid userId, string email, DateTime dueAt, CancellationToken ct);
}

public sealed class LogPrivacyNotifier(ILogger<LogPrivacyNotifier> log) : IPrivacyNotifier
{
    public Task ExportReadyAsync(Guid userId, string email, Guid exportId, DateTime expiresAt, CancellationToken ct)
    {
        log.LogInformation("Data export {ExportId} of user {UserId} is ready until {ExpiresAt:u} (no email outbox configured)", exportId, userId, expiresAt);
        return Task.CompletedTask;
    }

    public Task DeletionScheduledAsync(Guid userId, string email, DateTime dueAt, CancellationToken ct)
    {
        log.LogInformation("Account {UserId} will be deleted at {DueAt:u} (no email outbox configured)", userId, dueAt);
        return Task.CompletedTask;
    }
}

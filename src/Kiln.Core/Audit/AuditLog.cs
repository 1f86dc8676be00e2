using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Data;

namespace Kiln.Core.Audit;

/// <summary>Records security-relevant events (see <see cref="AuditActions"/>).</summary>
public interface IAuditLog
{
    Task RecordAsync(AuditEntry entry, CancellationToken ct);
}

/// <summary>
/// Writes one row per event through the request's own context. Callers record after their change is saved, so the
/// log never claims something that was rolled back; a failure to write the audit row surfaces like any database error.
/// </summary>
public sealed class AuditLog(KilnDbContext db, IAuditOrigin origin, TimeProvider clock) : IAuditLog
{
    public const int MaxDetails = 2000;
    public const int MaxTarget = 320;
    public const int MaxUserAgent = 300;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task RecordAsync(AuditEntry entry, CancellationToken ct)
    {
        var details = entry.Details is null ? null : JsonSerializer.Serialize(entry.Details, Json);
        var agent = origin.UserAgent;
        db.Add(new AuditEvent
        {
            Id = Ids.New(),
            At = clock.GetUtcNow().UtcDateTime,
            Action = entry.Action,
            ActorUserId = entry.ActorUserId,
            WorkspaceId = entry.WorkspaceId,
            Target = Cut(entry.Target, MaxTarget),
            Ip = IpTruncation.Truncate(origin.RemoteIp),
            UserAgent = Cut(string.IsNullOrEmpty(agent) ? null : agent, MaxUserAgent),
            Details = details is { Length: > MaxDetails } ? JsonSerializer.Serialize(new { truncated = details[..(MaxDetails - 40)] }, Json)[..MaxDetails] : details,
        });
        await db.SaveChangesAsync(ct);
    }

    private static string? Cut(string? s, int max) => s is { } v && v.Length > max ? v[..max] : s;
}

using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Credits;

/// <summary>An operator's grant or adjustment. <paramref name="RequestId"/> makes a retry (a double submit, a re-run script) a no-op.</summary>
public sealed record CreditMoveRequest(Guid WorkspaceId, long Amount, string? Reason, string? RequestId);

/// <summary>
/// The rules an operator's credit movement obeys, shared by <see cref="GrantCreditsCommand"/> and
/// <see cref="AdjustCreditsCommand"/> (the API, the admin page and the CLI all call those).
/// </summary>
public static class OperatorCreditMove
{
    /// <summary>The ledger's idempotency key column holds 200 characters; <c>admin:</c> plus this many always fits.</summary>
    public const int MaxRequestIdLength = 100;
    /// <summary>The ledger's reason column.</summary>
    public const int MaxReasonLength = 500;
    public const long MaxAmount = 1_000_000_000;
    private const string KeyPrefix = "admin:";

    internal static async Task<Result<LedgerEntry>> Run(KilnDbContext db, CreditsLedger ledger, Audit.IAuditLog audit, LedgerEntryKind kind, Caller caller,
        CreditMoveRequest r, CancellationToken ct)
    {
        if (caller.RequireOperator() is { } forbidden) return forbidden;
        var reason = r.Reason?.Trim();
        if (string.IsNullOrEmpty(reason)) return Error.Invalid("reason_required", "Give a reason; it is shown in the workspace's ledger.");
        if (reason.Length > MaxReasonLength) return Error.Invalid("invalid_reason", $"Keep the reason to {MaxReasonLength} characters.");
        if (kind == LedgerEntryKind.Grant ? r.Amount is <= 0 or > MaxAmount : r.Amount is 0 or < -MaxAmount or > MaxAmount)
            return Error.Invalid("invalid_amount", kind == LedgerEntryKind.Grant
                ? $"A grant is a positive number of credits, at most {MaxAmount:N0}."
                : $"An adjustment is a non-zero number of credits, at most {MaxAmount:N0} either way.");
        // An over-long id is refused, not replaced: a fresh id would turn the caller's retry into a second grant.
        var requestId = string.IsNullOrEmpty(r.RequestId) ? Ids.New().ToString("N") : r.RequestId;
        if (requestId.Length > MaxRequestIdLength)
            return Error.Invalid("invalid_request_id", $"A request id has at most {MaxRequestIdLength} characters.");
        if (!await db.Workspaces.AnyAsync(w => w.Id == r.WorkspaceId, ct)) return Error.NotFound("Workspace");
        var posted = await ledger.PostAsync(r.WorkspaceId, kind, r.Amount, KeyPrefix + requestId, reason, caller.UserId, ct);
        if (posted.Value is { } entry)
            await audit.RecordAsync(new Audit.AuditEntry(kind == LedgerEntryKind.Grant ? Audit.AuditActions.CreditsGranted : Audit.AuditActions.CreditsAdjusted,
                caller.UserId, r.WorkspaceId, entry.Id.ToString(), new { amount = r.Amount, reason, requestId }), ct);
        return posted;
    }
}

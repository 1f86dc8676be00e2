using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;

namespace Kiln.Core.Credits;

/// <summary>Grants a workspace credits (a positive amount) with a reason the workspace sees in its ledger.</summary>
public sealed class GrantCreditsCommand(KilnDbContext db, CreditsLedger ledger, Audit.IAuditLog audit)
{
    public Task<Result<LedgerEntry>> Run(Caller caller, CreditMoveRequest request, CancellationToken ct) =>
        OperatorCreditMove.Run(db, ledger, audit, LedgerEntryKind.Grant, caller, request, ct);
}

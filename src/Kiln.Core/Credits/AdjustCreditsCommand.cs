using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;

namespace Kiln.Core.Credits;

/// <summary>Corrects a workspace's balance up or down (never below what its running jobs hold) with a reason.</summary>
public sealed class AdjustCreditsCommand(KilnDbContext db, CreditsLedger ledger, Audit.IAuditLog audit)
{
    public Task<Result<LedgerEntry>> Run(Caller caller, CreditMoveRequest request, CancellationToken ct) =>
        OperatorCreditMove.Run(db, ledger, audit, LedgerEntryKind.Adjustment, caller, request, ct);
}

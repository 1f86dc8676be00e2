using Kiln.Core.Common;

namespace Kiln.Core.Credits;

/// <summary>
/// The credit-moving parts of the queue's batched PostgreSQL statements, as common-table-expression fragments that
/// <c>QueueSql</c> composes into one statement per operation (one round trip). Each fragment does, for a whole
/// statement at once, what a <see cref="CreditsLedger"/> method does step by step through EF — the same conditional
/// account UPDATE, the same hold row, the same ledger entries with the same idempotency keys and after-balances — so
/// the two paths write identical rows (the integration test <c>LedgerPathsTests</c> runs both on one database and
/// compares them). Enum values are taken from the C# enums, never written as numbers.
/// </summary>
internal static class LedgerSql
{
    private static readonly int Open = (int)HoldStatus.Open;
    private static readonly int Captured = (int)HoldStatus.Captured;
    private static readonly int Released = (int)HoldStatus.Released;
    private static readonly int Hold = (int)LedgerEntryKind.Hold;
    private static readonly int Capture = (int)LedgerEntryKind.Capture;
    private static readonly int Release = (int)LedgerEntryKind.Release;

    // The idempotency key of a job's entry, as SQL: the same text as CreditsLedger.JobKey (job id in "N" format).
    private static string JobKeySql(string jobId, string kindName) => $"'job:' || replace({jobId}::text, '-', '') || ':' || {kindName}";

    /// <summary>
    /// Placing a hold, part 1 (<see cref="CreditsLedger.PlaceHoldAsync"/>'s UPDATE), CTE <c>acct</c>: reserves
    /// <c>@amount</c> on workspace <c>@ws</c>'s account and returns the new (posted, held) — or no row when the workspace
    /// cannot afford it, so everything that selects from <c>acct</c> inserts nothing. Parameters: @ws, @amount, @now.
    /// </summary>
    public const string ReserveHold = """
        acct AS (
            UPDATE credit_accounts SET held = held + @amount, updated_at = @now
            WHERE workspace_id = @ws AND posted - held >= @amount
            RETURNING posted, held
        )
        """;

    /// <summary>
    /// Placing a hold, part 2, after <see cref="ReserveHold"/> and a CTE <c>j</c> that returns the new job's <c>id</c>
    /// (and inserts it only when <c>acct</c> has a row): the open hold row (CTE <c>h</c>) and the hold's ledger entry
    /// (CTE <c>e</c>). Parameters: @ws, @amount, @now, @hold_key (<see cref="CreditsLedger.JobKey"/>).
    /// </summary>
    public static readonly string RecordHold = $"""
        h AS (
            INSERT INTO credit_holds (job_id, workspace_id, amount, status, created_at)
            SELECT id, @ws, @amount, {Open}, @now FROM j
        ), e AS (
            INSERT INTO ledger_entries (workspace_id, kind, posted_delta, held_delta, idempotency_key, job_id, posted_after, held_after, created_at)
            SELECT @ws, {Hold}, 0, @amount, @hold_key, j.id, a.posted, a.held, @now FROM acct a, j
        )
        """;

    /// <summary>
    /// Resolving holds, part 1 (<see cref="CreditsLedger.ResolveHoldAsync"/> for a batch), after a CTE <c>done</c>
    /// (id, cost, ord) of finished jobs: each job's OPEN hold captures its cost capped at the hold and releases the rest
    /// (CTE <c>resolved</c>: job_id, workspace_id, amount, captured, ord — a hold resolves once, so a resolved hold
    /// matches no row), and each account moves once by its total (CTEs <c>totals</c>, <c>acct</c>: workspace_id,
    /// posted, held). Parameter: @now.
    /// </summary>
    public static readonly string ResolveHolds = $"""
        resolved AS (
            UPDATE credit_holds h SET status = CASE WHEN least(greatest(d.cost, 0), h.amount) > 0 THEN {Captured} ELSE {Released} END,
                captured = least(greatest(d.cost, 0), h.amount), resolved_at = @now
            FROM done d
            WHERE h.job_id = d.id AND h.status = {Open}
            RETURNING h.job_id, h.workspace_id, h.amount, h.captured, d.ord
        ), totals AS (
            SELECT workspace_id, sum(captured) AS captured, sum(amount) AS amount FROM resolved GROUP BY workspace_id
        ), acct AS (
            UPDATE credit_accounts a SET posted = a.posted - t.captured, held = a.held - t.amount, updated_at = @now
            FROM totals t
            WHERE a.workspace_id = t.workspace_id
            RETURNING a.workspace_id, a.posted, a.held
        )
        """;

    /// <summary>
    /// Resolving holds, part 2, after <see cref="ResolveHolds"/>: the capture and release entries (CTEs <c>moves</c>,
    /// <c>entries</c>), in batch order (capture before release, as <see cref="CreditsLedger.ResolveHoldAsync"/> appends
    /// them), each with the running posted/held "after" values it would have had one by one, ending at the account's
    /// new totals. Parameter: @now.
    /// </summary>
    public static readonly string RecordResolutions = $"""
        moves AS (
            SELECT r.workspace_id, r.job_id, r.ord, 0 AS sub, {Capture} AS kind, -r.captured AS posted_delta, -r.captured AS held_delta, '{LedgerEntryKind.Capture.WireName()}' AS tag
            FROM resolved r WHERE r.captured > 0
            UNION ALL
            SELECT r.workspace_id, r.job_id, r.ord, 1, {Release}, 0, -(r.amount - r.captured), '{LedgerEntryKind.Release.WireName()}'
            FROM resolved r WHERE r.amount - r.captured > 0
        ), entries AS (
            INSERT INTO ledger_entries (workspace_id, kind, posted_delta, held_delta, idempotency_key, job_id, posted_after, held_after, created_at)
            SELECT m.workspace_id, m.kind, m.posted_delta, m.held_delta, {JobKeySql("m.job_id", "m.tag")}, m.job_id,
                a.posted - coalesce(sum(m.posted_delta) OVER w, 0), a.held - coalesce(sum(m.held_delta) OVER w, 0), @now
            FROM moves m JOIN acct a ON a.workspace_id = m.workspace_id
            WINDOW w AS (PARTITION BY m.workspace_id ORDER BY m.ord, m.sub ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
            ORDER BY m.ord, m.sub
        )
        """;
}

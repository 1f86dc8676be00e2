using System.Data.Common;
using Kiln.Core.Credits;

namespace Kiln.Core.Jobs.Queue;

/// <summary>
/// Every statement of the queue's hot path, in one place: prepared raw SQL, one round trip per operation (EF would
/// re-plan them each time). The jobs they hand back are read by <see cref="ReadJobsAsync"/> through the one column list
/// <see cref="JobColumns"/> that every RETURNING uses, so adding a column to <see cref="Job"/> touches that list only
/// (a test checks it against the EF model). The credit-moving parts come from <see cref="LedgerSql"/>; enum values come
/// from the C# enums.
/// </summary>
internal static class QueueSql
{
    private static readonly int Queued = (int)JobStatus.Queued;
    private static readonly int Running = (int)JobStatus.Running;
    private static readonly int Succeeded = (int)JobStatus.Succeeded;

    private delegate void ReadColumn(Job job, DbDataReader r, int ordinal);

    /// <summary>Every column of <c>jobs</c> and how it is read into a <see cref="Job"/>.</summary>
    private static readonly (string Name, ReadColumn Read)[] JobColumns =
    [
        ("id", (j, r, i) => j.Id = r.GetGuid(i)),
        ("workspace_id", (j, r, i) => j.WorkspaceId = r.GetGuid(i)),
        ("created_by_user_id", (j, r, i) => j.CreatedByUserId = r.IsDBNull(i) ? null : r.GetGuid(i)),
        ("pipeline_id", (j, r, i) => j.PipelineId = r.GetString(i)),
        ("options_json", (j, r, i) => j.OptionsJson = r.GetString(i)),
        ("inputs_json", (j, r, i) => j.InputsJson = r.GetString(i)),
        ("status", (j, r, i) => j.Status = (JobStatus)r.GetInt32(i)),
        ("priority", (j, r, i) => j.Priority = r.GetInt32(i)),
        ("attempt", (j, r, i) => j.Attempt = r.GetInt32(i)),
        ("max_attempts", (j, r, i) => j.MaxAttempts = r.GetInt32(i)),
        ("lease_token", (j, r, i) => j.LeaseToken = r.IsDBNull(i) ? null : r.GetGuid(i)),
        ("lease_expires_at", (j, r, i) => j.LeaseExpiresAt = r.IsDBNull(i) ? null : r.GetDateTime(i)),
        ("worker_id", (j, r, i) => j.WorkerId = r.IsDBNull(i) ? null : r.GetString(i)),
        ("run_after", (j, r, i) => j.RunAfter = r.GetDateTime(i)),
        ("timeout_seconds", (j, r, i) => j.TimeoutSeconds = r.GetInt32(i)),
        ("cancel_requested", (j, r, i) => j.CancelRequested = r.GetBoolean(i)),
        ("progress_percent", (j, r, i) => j.ProgressPercent = r.GetInt32(i)),
        ("progress_step", (j, r, i) => j.ProgressStep = r.IsDBNull(i) ? null : r.GetString(i)),
        ("progress_message", (j, r, i) => j.ProgressMessage = r.IsDBNull(i) ? null : r.GetString(i)),
        ("cost_estimate", (j, r, i) => j.CostEstimate = r.GetInt64(i)),
        ("cost_actual", (j, r, i) => j.CostActual = r.IsDBNull(i) ? null : r.GetInt64(i)),
        ("error_code", (j, r, i) => j.ErrorCode = r.IsDBNull(i) ? null : r.GetString(i)),
        ("error_message", (j, r, i) => j.ErrorMessage = r.IsDBNull(i) ? null : r.GetString(i)),
        ("idempotency_key", (j, r, i) => j.IdempotencyKey = r.IsDBNull(i) ? null : r.GetString(i)),
        ("request_hash", (j, r, i) => j.RequestHash = r.IsDBNull(i) ? null : r.GetString(i)),
        ("created_at", (j, r, i) => j.CreatedAt = r.GetDateTime(i)),
        ("started_at", (j, r, i) => j.StartedAt = r.IsDBNull(i) ? null : r.GetDateTime(i)),
        ("finished_at", (j, r, i) => j.FinishedAt = r.IsDBNull(i) ? null : r.GetDateTime(i)),
        ("trace_parent", (j, r, i) => j.TraceParent = r.IsDBNull(i) ? null : r.GetString(i)),
        ("shared_at", (j, r, i) => j.SharedAt = r.IsDBNull(i) ? null : r.GetDateTime(i)),
    ];

    /// <summary>The column names, in <see cref="JobColumns"/> order.</summary>
    internal static IEnumerable<string> JobColumnNames => JobColumns.Select(c => c.Name);

    /// <summary>The RETURNING list of every statement that hands jobs back; <paramref name="table"/> qualifies it ("jobs.").</summary>
    private static string Returning(string table) => string.Join(", ", JobColumns.Select(c => table + c.Name));

    /// <summary>Reads the jobs a statement returned, by column name: the ordinals are looked up once per result.</summary>
    public static async Task<List<Job>> ReadJobsAsync(DbDataReader r, CancellationToken ct)
    {
        var jobs = new List<Job>();
        int[]? ordinals = null;
        while (await r.ReadAsync(ct))
        {
            ordinals ??= [.. JobColumns.Select(c => r.GetOrdinal(c.Name))];
            var job = new Job { PipelineId = "" };
            for (var k = 0; k < JobColumns.Length; k++) JobColumns[k].Read(job, r, ordinals[k]);
            jobs.Add(job);
        }
        return jobs;
    }

    /// <summary>
    /// Creates a job (<see cref="EnqueueBatcher"/>, one statement per job of a group commit): the hold, the job, its hold
    /// row, the hold's ledger entry and the "queued" event in one statement. The account UPDATE comes first and every
    /// insert selects from its RETURNING, so insufficient credits insert nothing. The hold's parts are CreditsLedger's,
    /// from LedgerSql. Returns (posted, held), or no row. No NOTIFY here: a transaction that notifies takes a
    /// database-wide lock at commit and serialises every committer, so the wake-up and the live channel's notices are
    /// sent after the commit (Events.PostgresEventNotifier).
    /// </summary>
    public static readonly string InsertJob = $"""
        WITH {LedgerSql.ReserveHold}, j AS (
            INSERT INTO jobs (id, workspace_id, created_by_user_id, pipeline_id, options_json, inputs_json, status, priority, attempt,
                max_attempts, run_after, timeout_seconds, cancel_requested, progress_percent, progress_step, cost_estimate,
                idempotency_key, request_hash, created_at, trace_parent)
            SELECT @id, @ws, @user, @pipeline, @options, @inputs, {Queued}, @priority, 0, @max_attempts, @now, @timeout, false, 0, 'queued',
                @amount, @key, @request_hash, @now, @trace
            FROM acct
            RETURNING id
        ), {LedgerSql.RecordHold}, ev AS (
            INSERT INTO job_events (job_id, workspace_id, type, data_json, created_at)
            SELECT id, @ws, 'status', @queued_json, @now FROM j
        )
        SELECT a.posted, a.held FROM acct a
        """;

    /// <summary>
    /// Completes a batch of one workspace's successful attempts (JobQueue.SucceedManyAsync); returns (ord, captured,
    /// released) per job that passed its fence. Data-modifying CTEs all run exactly once in one snapshot; each later step
    /// joins the RETURNING of the step before, so the fence (jobs), the exactly-once hold resolution (status = open) and
    /// the account move are chained. Ledger entries are inserted in batch order with running posted/held "after" values
    /// ending at the account's new totals. The hold resolution, the account move and the entries are CreditsLedger's,
    /// from LedgerSql.
    /// </summary>
    public static readonly string SucceedMany = $"""
        WITH input AS (
            SELECT * FROM unnest(@ids, @leases, @costs, @ords) AS t(id, lease, cost, ord)
        ), done AS (
            UPDATE jobs j SET status = {Succeeded}, progress_percent = 100, progress_step = 'done', progress_message = NULL,
                cost_actual = least(i.cost, j.cost_estimate), finished_at = @now, lease_token = NULL, lease_expires_at = NULL
            FROM input i
            WHERE j.id = i.id AND j.lease_token = i.lease AND j.status = {Running}
            RETURNING j.id, j.workspace_id, i.cost, i.ord
        ), {LedgerSql.ResolveHolds}, freed AS (
            -- The finished jobs' slots. The scalar subquery makes the account move run first: every path locks the
            -- account before the counter, so completions cannot deadlock with each other.
            UPDATE workspace_running_jobs s SET running = s.running - f.n
            FROM (SELECT workspace_id, count(*)::int AS n FROM done GROUP BY workspace_id) f
            WHERE s.workspace_id = f.workspace_id AND (SELECT count(*) FROM acct) >= 0
        ), {LedgerSql.RecordResolutions}, arts AS (
            INSERT INTO artifacts (id, job_id, workspace_id, name, content_type, size, blob_key, sha256, created_at)
            SELECT x.id, x.job_id, d.workspace_id, x.name, x.content_type, x.size, x.blob_key, x.sha256, @now
            FROM unnest(@a_ids, @a_jobs, @a_names, @a_types, @a_sizes, @a_keys, @a_shas) AS x(id, job_id, name, content_type, size, blob_key, sha256)
            JOIN done d ON d.id = x.job_id
        ), evs AS (
            INSERT INTO job_events (job_id, workspace_id, type, data_json, created_at)
            SELECT e.job_id, e.workspace_id, e.type, e.data_json, @now FROM (
                SELECT d.id AS job_id, d.workspace_id, d.ord, x.n AS sub, 'artifact' AS type, x.data AS data_json
                FROM unnest(@a_jobs, @a_events, @a_ord) AS x(job_id, data, n) JOIN done d ON d.id = x.job_id
                UNION ALL
                SELECT d.id, d.workspace_id, d.ord, 2147483647, 'status', @status_json FROM done d
            ) e
            ORDER BY e.ord, e.sub
        )
        SELECT d.ord, r.captured, r.amount - r.captured FROM done d LEFT JOIN resolved r ON r.job_id = d.id
        """;

    // Both reads of queued jobs order by ix_jobs_queued_workspace's full key (workspace_id, priority DESC, run_after, id;
    // partial, status = 0), so that index is the only one that needs no sort. Ordered by workspace_id alone, the prepared
    // (generic) plan could walk ix_jobs_workspace_id_idempotency_key instead and filter status row by row: every claim
    // then read every finished job of the workspace (measured: 450 index entries per drained job at 8,000 jobs, growing
    // with the workspace's history); likewise the per-workspace pick could scan ix_jobs_queued_priority for all workspaces.
    // Fair claims. Priority orders jobs only within a workspace; across workspaces the next slot goes to the workspace
    // with the fewest running jobs per unit of plan weight (ties: the one whose oldest ready job has waited longest), so a
    // workspace with a deep backlog cannot starve the others, and one at its cap is not even looked at.
    //  1. `queued_ws`: the workspaces with queued jobs, by a loose index scan (one index probe per workspace, whatever
    //     the depth of each backlog) over ix_jobs_queued_workspace.
    //  2. `open_ws`: those below their cap in this snapshot, with their weight.
    //  3. `ranked`: each open workspace's next jobs in its own order (priority, then age), at most its free slots and
    //     @max, each with its turn = (running + rank − 1) / weight.
    //  4. `candidates`: the first @scan of them in turn order are locked (SKIP LOCKED; a LIMIT above FOR UPDATE would
    //     sort every queued job). Rows another claimer committed in between fail the status recheck after the lock.
    // `tentative` is what the snapshot allows under each workspace's cap, in turn order; the counter step then admits
    // per workspace least(wanted, cap − running) on the NEWEST counter row, so concurrent claims cannot both take a
    // workspace's last slot; only the first `last_grant` tentative jobs of each workspace start, the others stay queued.
    private static readonly string ClaimCandidates = $"""
        WITH RECURSIVE queued_ws(workspace_id) AS (
            (SELECT workspace_id FROM jobs WHERE status = {Queued} ORDER BY workspace_id, priority DESC, run_after, id LIMIT 1)
            UNION ALL
            SELECT (SELECT j.workspace_id FROM jobs j WHERE j.status = {Queued} AND j.workspace_id > q.workspace_id
                    ORDER BY j.workspace_id, j.priority DESC, j.run_after, j.id LIMIT 1)
            FROM queued_ws q WHERE q.workspace_id IS NOT NULL
        ), open_ws AS (
            SELECT q.workspace_id, coalesce(w.max_concurrent_jobs, @cap) AS cap, coalesce(r.running, 0) AS running,
                coalesce((SELECT pw.weight FROM unnest(@plans, @weights) AS pw(plan_id, weight) WHERE pw.plan_id = lower(w.plan)), 1.0) AS weight
            FROM queued_ws q JOIN workspaces w ON w.id = q.workspace_id
            LEFT JOIN workspace_running_jobs r ON r.workspace_id = q.workspace_id
            WHERE q.workspace_id IS NOT NULL AND coalesce(r.running, 0) < coalesce(w.max_concurrent_jobs, @cap)
        ), ranked AS (
            SELECT n.id, o.workspace_id, o.cap, o.running, (o.running + n.rank - 1) / o.weight AS turn, n.head
            FROM open_ws o CROSS JOIN LATERAL (
                SELECT x.id, row_number() OVER (ORDER BY x.priority DESC, x.run_after, x.id) AS rank,
                    min(x.run_after) OVER () AS head
                FROM (
                    SELECT id, priority, run_after FROM jobs
                    WHERE workspace_id = o.workspace_id AND status = {Queued} AND run_after <= @now
                      AND (@any OR pipeline_id = ANY(@pipelines))
                    ORDER BY workspace_id, priority DESC, run_after, id
                    LIMIT least(o.cap - o.running, @max)
                ) x
            ) n
        ), candidates AS (
            SELECT id, workspace_id, priority, run_after FROM jobs
            WHERE id IN (SELECT id FROM ranked ORDER BY turn, head, workspace_id, id LIMIT @scan)
              AND status = {Queued}
            FOR UPDATE SKIP LOCKED
        ), tentative AS (
            SELECT * FROM (
                SELECT c.id, c.workspace_id, k.turn, k.head,
                    row_number() OVER (PARTITION BY c.workspace_id ORDER BY c.priority DESC, c.run_after, c.id) AS rn,
                    k.cap, k.running
                FROM candidates c JOIN ranked k ON k.id = c.id
            ) x
            WHERE rn + running <= cap ORDER BY turn, head, workspace_id, rn LIMIT @max
        ), wanted AS (
            SELECT workspace_id, count(*)::int AS n, min(cap) AS cap FROM tentative GROUP BY workspace_id
        ),
        """;

    private static readonly string ClaimStart = $"""
        , chosen AS (
            SELECT t.id FROM tentative t JOIN admitted a ON a.workspace_id = t.workspace_id WHERE t.rn <= a.last_grant
        )
        UPDATE jobs SET status = {Running}, attempt = jobs.attempt + 1, lease_token = gen_random_uuid(),
            lease_expires_at = @expires, worker_id = @worker, started_at = coalesce(jobs.started_at, @now)
        FROM chosen WHERE jobs.id = chosen.id
        RETURNING {Returning("jobs.")}
        """;

    // On its own: the counter rows are upserted in workspace order, waiting for a concurrent claim or completion of the
    // same workspace (completions take a counter last and wait for nothing after it; claims take them in one order), and
    // PostgreSQL evaluates the grant on the row version that lock wait produced. A workspace's first claim creates its row.
    /// <summary>Claims up to @max jobs (JobQueue.ClaimAsync on PostgreSQL), returning <see cref="Returning"/>.</summary>
    public static readonly string Claim = ClaimCandidates + """
        admitted AS (
            INSERT INTO workspace_running_jobs AS s (workspace_id, running, last_grant)
            SELECT workspace_id, least(n, cap), least(n, cap) FROM wanted ORDER BY workspace_id
            ON CONFLICT (workspace_id) DO UPDATE
                SET running = s.running + least(excluded.last_grant,
                        (SELECT coalesce(w.max_concurrent_jobs, @cap) FROM workspaces w WHERE w.id = s.workspace_id) - s.running),
                    last_grant = least(excluded.last_grant,
                        (SELECT coalesce(w.max_concurrent_jobs, @cap) FROM workspaces w WHERE w.id = s.workspace_id) - s.running)
                WHERE s.running < (SELECT coalesce(w.max_concurrent_jobs, @cap) FROM workspaces w WHERE w.id = s.workspace_id)
            RETURNING s.workspace_id, s.last_grant
        )
        """ + ClaimStart;

    // After a completion in the same transaction: that transaction already holds its own workspace's counter, so waiting
    // here for another workspace's counter could deadlock with a worker doing the mirror image. Counters another
    // transaction holds are skipped instead (like locked jobs); the worker's own claim loop gets those workspaces. The
    // row lock is taken first (newest version), and the UPDATE then computes the grant from that newest version.
    /// <summary>Claims after a completion in the same transaction (JobQueue.SucceedManyAndClaimAsync), returning <see cref="Returning"/>.</summary>
    public static readonly string ClaimSkippingBusyCounters = ClaimCandidates + """
        free AS (
            SELECT s.workspace_id FROM workspace_running_jobs s
            WHERE s.workspace_id IN (SELECT workspace_id FROM wanted)
            FOR UPDATE SKIP LOCKED
        ), admitted AS (
            UPDATE workspace_running_jobs s SET running = s.running + least(w.n, w.cap - s.running), last_grant = least(w.n, w.cap - s.running)
            FROM wanted w JOIN free f ON f.workspace_id = w.workspace_id
            WHERE s.workspace_id = w.workspace_id AND s.running < w.cap
            RETURNING s.workspace_id, s.last_grant
        )
        """ + ClaimStart;

    /// <summary>
    /// SQLite's claim of one job (JobQueue.ClaimAsync), for EF's FromSqlRaw: {0} lease token, {1} lease expiry, {2} worker
    /// id, {3} now, {4} the claimable pipeline ids as a JSON array (or "null" for any), {5} the default concurrency cap,
    /// {6} the plans' scheduling weights as a JSON object. SQLite has one writer at a time, so a claim is a single atomic
    /// UPDATE; one job per statement keeps the per-workspace cap exact. The same fairness rule as PostgreSQL's claim:
    /// first the workspace (below its cap, fewest running jobs per unit of weight, then the longest-waiting), then that
    /// workspace's next job by priority and age.
    /// </summary>
    public static readonly string SqliteClaim = $$"""
        UPDATE jobs SET status = {{Running}}, attempt = attempt + 1, lease_token = {0}, lease_expires_at = {1},
            worker_id = {2}, started_at = coalesce(started_at, {3})
        WHERE id = (
            SELECT j.id FROM jobs j
            WHERE j.workspace_id = (
                SELECT o.workspace_id FROM (
                    SELECT w.id AS workspace_id, coalesce(w.max_concurrent_jobs, {5}) AS cap,
                        (SELECT count(*) FROM jobs r WHERE r.workspace_id = w.id AND r.status = {{Running}}) AS running,
                        coalesce((SELECT p.value FROM json_each({6}) p WHERE p.key = lower(w.plan)), 1.0) AS weight,
                        (SELECT min(h.run_after) FROM jobs h WHERE h.workspace_id = w.id AND h.status = {{Queued}} AND h.run_after <= {3}
                            AND (h.pipeline_id IN (SELECT value FROM json_each({4})) OR {4} = 'null')) AS head
                    FROM workspaces w
                    WHERE w.id IN (SELECT DISTINCT workspace_id FROM jobs WHERE status = {{Queued}})
                ) o
                WHERE o.head IS NOT NULL AND o.running < o.cap
                ORDER BY o.running * 1.0 / o.weight, o.head, o.workspace_id
                LIMIT 1)
              AND j.status = {{Queued}} AND j.run_after <= {3}
              AND (j.pipeline_id IN (SELECT value FROM json_each({4})) OR {4} = 'null')
            ORDER BY j.priority DESC, j.run_after, j.id
            LIMIT 1)
        RETURNING {{Returning("")}}
        """;
}

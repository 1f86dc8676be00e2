using System.Globalization;
using System.Text;

namespace Kiln.Bench.Chaos;

internal sealed record Report(bool Passed, string Text);

/// <summary>
/// After the run, from the database, the S3 server's directory and the scratch directory: every job reached exactly one
/// final state, none succeeded twice, every hold resolved exactly once, the ledger balances, no blob or scratch
/// directory is left without an owner, no request answered a 5xx other than 503 + Retry-After, and the API was back
/// within 5 s of PostgreSQL.
/// </summary>
internal static class Checks
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<Report> RunAsync(Stack stack, Load load, Timeline t, ChaosOptions o)
    {
        var sb = new StringBuilder();
        var passed = true;
        void Check(bool ok, string what)
        {
            passed &= ok;
            sb.AppendLine(Inv, $"- [{(ok ? "x" : " ")}] {what}");
        }
        async Task<long> Scalar(string sql) => long.Parse(await stack.PsqlAsync(sql), Inv);
        string S(DateTime? a, DateTime? b) => a is { } x && b is { } y ? (y - x).TotalSeconds.ToString("0.00", Inv) + " s" : "n/a";

        sb.AppendLine(Inv, $"### Chaos run: {o.Jobs} jobs, {o.WebProcesses} web + {o.Workers} workers × {o.Concurrency} slots, PostgreSQL + s3rver");
        sb.AppendLine();
        var created = load.Specs.Where(s => s.JobId is not null).ToList();
        var elapsed = (t.AllFinal ?? DateTime.UtcNow) - t.Start;
        sb.AppendLine(Inv, $"Run: {elapsed.TotalSeconds:0} s from the first creation to the last final state; {t.WorkerKills} worker kills (SIGKILL, restarted), " +
            $"PostgreSQL restarted once (fast shutdown), S3 stopped {o.S3DownSeconds} s, one web process killed and restarted.");
        sb.AppendLine();
        var byStatus = await stack.PsqlAsync("SELECT pipeline_id || ' ' || CASE status WHEN 2 THEN 'succeeded' WHEN 3 THEN 'failed' WHEN 4 THEN 'canceled' WHEN 1 THEN 'running' ELSE 'queued' END, count(*), " +
            "sum(CASE WHEN attempt > 1 THEN 1 ELSE 0 END), max(attempt) FROM jobs GROUP BY 1 ORDER BY 1");
        sb.AppendLine("| pipeline and final state | jobs | needed more than one attempt | most attempts |");
        sb.AppendLine("|---|---:|---:|---:|");
        foreach (var row in byStatus.Split('\n', StringSplitOptions.RemoveEmptyEntries)) sb.AppendLine("| " + row.Replace("\t", " | ", StringComparison.Ordinal) + " |");
        var errors = await stack.PsqlAsync("SELECT pipeline_id || ' ' || coalesce(error_code, '-'), count(*) FROM jobs WHERE status = 3 GROUP BY 1 ORDER BY 1");
        sb.AppendLine();
        sb.AppendLine("Failed jobs by error code: " + string.Join(", ", errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.Replace("\t", ": ", StringComparison.Ordinal))));
        sb.AppendLine();
        sb.AppendLine("Answers to job creation (every retry counted): " + string.Join(", ", load.Answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key} ×{a.Value}")));
        sb.AppendLine();
        sb.AppendLine("Recovery:");
        sb.AppendLine(Inv, $"- PostgreSQL down (fast shutdown → accepting connections): {S(t.PgStopped, t.PgBack)}");
        foreach (var (web, at) in t.ApiBackAfterPg.OrderBy(p => p.Key)) sb.AppendLine(Inv, $"- web-{web + 1}: API answered {S(t.PgBack, at)} after PostgreSQL came back");
        var s3Recovered = t.S3Back is { } s3Back
            ? await stack.PsqlAsync($"SELECT to_char(min(j.finished_at), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') FROM jobs j WHERE j.status = 2 AND j.finished_at > '{s3Back:yyyy-MM-dd HH:mm:ss.fff}' AND EXISTS (SELECT 1 FROM artifacts a WHERE a.job_id = j.id)")
            : "";
        DateTime? s3Job = DateTime.TryParse(s3Recovered, Inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var sj) ? sj : null;
        sb.AppendLine(Inv, $"- S3 stopped → back: {S(t.S3Stopped, t.S3Back)}; first job with an artifact succeeded {S(t.S3Back, s3Job)} after it was back");
        sb.AppendLine(Inv, $"- web process killed → answering /health/live again: {S(t.WebKilled, t.WebBack)}");
        sb.AppendLine();
        sb.AppendLine("Checks:");

        Check(!t.TimedOut, $"finished within the time limit ({o.MaxSeconds} s)");
        Check(load.Specs.All(s => s.JobId is not null), $"every job was created ({load.Specs.Count(s => s.JobId is null)} not: " +
            string.Join("; ", load.Specs.Where(s => s.GaveUp is not null).Select(s => s.GaveUp).Distinct().Take(3)) + ")");
        var distinct = created.Select(s => s.JobId).Distinct().Count();
        var inDb = await Scalar("SELECT count(*) FROM jobs");
        Check(distinct == created.Count && inDb == created.Count, $"one job per Idempotency-Key: {created.Count} creations, {distinct} distinct ids, {inDb} rows");
        Check(await Scalar("SELECT count(*) FROM jobs WHERE status < 2") == 0, "every job reached a final state");
        var succeededTwice = await Scalar("SELECT count(*) FROM (SELECT job_id FROM job_events WHERE type = 'status' AND data_json LIKE '%\"succeeded\"%' GROUP BY job_id HAVING count(*) > 1) x");
        var finalTwice = await Scalar("SELECT count(*) FROM (SELECT job_id FROM job_events WHERE type = 'status' AND (data_json LIKE '%\"succeeded\"%' OR data_json LIKE '%\"failed\"%' OR data_json LIKE '%\"canceled\"%') GROUP BY job_id HAVING count(*) > 1) x");
        var artifactTwice = await Scalar("SELECT count(*) FROM (SELECT job_id, name FROM artifacts GROUP BY job_id, name HAVING count(*) > 1) x");
        var artifactsOfUnsuccessful = await Scalar("SELECT count(*) FROM artifacts a JOIN jobs j ON j.id = a.job_id WHERE j.status <> 2");
        Check(succeededTwice == 0 && finalTwice == 0 && artifactTwice == 0,
            $"no job succeeded twice or reached two final states (status events: {succeededTwice} double successes, {finalTwice} double final states; {artifactTwice} duplicate artifacts)");
        Check(artifactsOfUnsuccessful == 0, $"no artifact row on a job that did not succeed ({artifactsOfUnsuccessful})");
        var sleepWithout = await Scalar("SELECT count(*) FROM jobs j WHERE j.pipeline_id IN ('sleep', 'pdf-podcast') AND j.status = 2 AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.job_id = j.id)");
        Check(sleepWithout == 0, $"every succeeded job that writes artifacts has them ({sleepWithout} without)");
        var openHolds = await Scalar("SELECT count(*) FROM credit_holds WHERE status = 0");
        var noHold = await Scalar("SELECT count(*) FROM jobs j WHERE j.cost_estimate > 0 AND NOT EXISTS (SELECT 1 FROM credit_holds h WHERE h.job_id = j.id)");
        var mismatched = await Scalar("SELECT count(*) FROM jobs j JOIN credit_holds h ON h.job_id = j.id WHERE (j.status = 2) <> (h.status = 1)");
        var badEntries = await Scalar("SELECT count(*) FROM (SELECT job_id FROM ledger_entries WHERE job_id IS NOT NULL GROUP BY job_id " +
            "HAVING sum(CASE WHEN kind = 3 THEN 1 ELSE 0 END) <> 1 OR sum(CASE WHEN kind = 4 THEN 1 ELSE 0 END) > 1 OR sum(CASE WHEN kind = 5 THEN 1 ELSE 0 END) > 1 " +
            "OR sum(CASE WHEN kind IN (4, 5) THEN 1 ELSE 0 END) = 0 OR sum(held_delta) <> 0) x");
        Check(openHolds == 0 && noHold == 0 && mismatched == 0 && badEntries == 0,
            $"every hold resolved exactly once ({openHolds} open, {noHold} jobs without a hold, {mismatched} captured/released against the job's state, {badEntries} jobs whose ledger entries are not one hold + one resolution)");
        var unbalanced = await Scalar("SELECT count(*) FROM credit_accounts a WHERE a.held <> 0 OR a.posted < a.held " +
            "OR a.posted <> (SELECT coalesce(sum(posted_delta), 0) FROM ledger_entries e WHERE e.workspace_id = a.workspace_id) " +
            "OR a.held <> (SELECT coalesce(sum(held_delta), 0) FROM ledger_entries e WHERE e.workspace_id = a.workspace_id)");
        var charged = await Scalar("SELECT coalesce(sum(-posted_delta), 0) FROM ledger_entries WHERE kind = 4");
        var expected = await Scalar("SELECT coalesce(sum(coalesce(cost_actual, cost_estimate)), 0) FROM jobs WHERE status = 2");
        Check(unbalanced == 0 && charged == expected, $"the ledger balances ({unbalanced} accounts off; captured {charged} credits, succeeded jobs cost {expected})");

        var referenced = (await stack.PsqlAsync("SELECT blob_key FROM uploads UNION ALL SELECT blob_key FROM artifacts"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var jobIds = (await stack.PsqlAsync("SELECT replace(id::text, '-', '') FROM jobs")).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var bucket = Path.Combine(stack.S3Dir, Stack.Bucket);
        var objects = Directory.Exists(bucket)
            ? Directory.EnumerateFiles(bucket, "*._S3rver_object", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(bucket, f)[..^"._S3rver_object".Length].Replace('\\', '/')).ToList()
            : [];
        var stored = objects.ToHashSet(StringComparer.Ordinal);
        var artifactKeys = (await stack.PsqlAsync("SELECT blob_key FROM artifacts")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var missing = artifactKeys.Where(k => !stored.Contains(k)).ToList();
        Check(missing.Count == 0, $"every artifact's blob is in the store ({missing.Count} of {artifactKeys.Length} missing{(missing.Count > 0 ? ", e.g. " + missing[0] : "")})");
        var checkpoints = objects.Where(k => k.Contains("/checkpoints/", StringComparison.Ordinal)).ToList();
        var orphans = objects.Where(k => !referenced.Contains(k) && !checkpoints.Contains(k)).ToList();
        var orphanCheckpoints = checkpoints.Where(k => k.Split('/') is [_, _, "jobs", var job, ..] && !jobIds.Contains(job)).ToList();
        Check(orphans.Count == 0 && orphanCheckpoints.Count == 0, $"no orphaned blobs ({objects.Count} objects: {orphans.Count} referenced by no upload or artifact" +
            (orphans.Count > 0 ? $", e.g. {string.Join(", ", orphans.Take(3))}" : "") + $"; {checkpoints.Count} checkpoints kept with their jobs, {orphanCheckpoints.Count} without one)");
        var scratch = Directory.Exists(stack.ScratchPath) ? Directory.GetDirectories(stack.ScratchPath).Select(Path.GetFileName).ToList() : [];
        Check(scratch.Count == 0, $"no scratch directories left ({scratch.Count}{(scratch.Count > 0 ? ": " + string.Join(", ", scratch.Take(3)) : "")})");
        foreach (var dir in scratch.Take(3))
        {
            // Which attempt left it, and the job's story (for the run's notes).
            var id = dir![..32];
            var story = await stack.PsqlAsync($"SELECT string_agg(data_json, ' | ' ORDER BY id) FROM job_events WHERE job_id = '{id}'::uuid AND type = 'status'");
            var row = await stack.PsqlAsync($"SELECT pipeline_id, status, attempt, coalesce(worker_id, '-'), coalesce(error_code, '-') FROM jobs WHERE id = '{id}'::uuid");
            sb.AppendLine(Inv, $"  - {dir}: job {row.Replace('\t', ' ')}; status events: {story}");
        }

        var fiveHundreds = load.Answers.Where(a => a.Key.StartsWith('5') && !a.Key.StartsWith("503 database_unavailable", StringComparison.Ordinal)).Sum(a => a.Value);
        var noRetryAfter = load.Answers.Where(a => a.Key.Contains("WITHOUT Retry-After", StringComparison.Ordinal)).Sum(a => a.Value);
        Check(fiveHundreds == 0 && noRetryAfter == 0, $"job creation never answered a 5xx other than 503 database_unavailable with Retry-After ({fiveHundreds} others, {noRetryAfter} without Retry-After)");
        var worst = t.ApiBackAfterPg.Count == stack.Webs.Count && t.PgBack is { } back ? t.ApiBackAfterPg.Values.Max() - back : (TimeSpan?)null;
        Check(worst is { } w && w <= TimeSpan.FromSeconds(5), $"the API answered on every web process within 5 s of PostgreSQL coming back ({(worst is { } x ? x.TotalSeconds.ToString("0.00", Inv) + " s" : "never")})");

        sb.AppendLine();
        sb.AppendLine(passed ? "Result: PASS" : "Result: FAIL");
        sb.AppendLine();
        sb.AppendLine("<details><summary>Timeline</summary>");
        sb.AppendLine();
        sb.AppendLine("```");
        foreach (var e in t.Events) sb.AppendLine(e);
        sb.AppendLine("```");
        sb.AppendLine("</details>");
        return new Report(passed, sb.ToString());
    }
}

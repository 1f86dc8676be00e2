using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kiln.Bench.Queue;
using Kiln.Core;
using Kiln.Core.Accounts;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

// Queue benchmark: throughput of the no-op pipeline and enqueue→start latency with 1..n Kiln.Worker processes on
// PostgreSQL. See bench/run-queue-bench.sh (which starts the cluster and measures pgbench first) and bench/RESULTS.md.
var o = BenchOptions.Parse(args);
Console.Error.WriteLine($"# queue bench: workers {string.Join(',', o.Workers)}, {o.Concurrency} slots each, {o.Jobs} jobs, " +
    $"{o.Repeats} repeats, latency at {o.Rate}/s for {o.LatencySeconds} s, workspace cap {o.Cap}");

// With --baseline-worker-dll, every row runs the baseline's workers and then this tree's, round after round, so both
// see the same load and the ratio between them means something on a shared machine.
var variants = o.BaselineWorkerDll is { } baseDll ? new[] { (Label: o.BaselineLabel, Dll: baseDll), (Label: "Kiln", Dll: o.WorkerDll) } : [(Label: "Kiln", Dll: o.WorkerDll)];
var results = new List<RunResult>();
foreach (var workers in o.Workers)
{
    for (var rep = 1; rep <= o.Repeats; rep++)
    {
        foreach (var (label, dll) in variants)
        {
            var v = o with { WorkerDll = dll };
            var tp = await Bench.ThroughputAsync(v, workers, rep);
            Console.Error.WriteLine($"  {label} workers={workers} rep={rep}: {tp.JobsPerSecond:0} jobs/s, warm {tp.WarmJobsPerSecond:0} jobs/s ({tp.Completed} in {tp.Seconds:0.00} s; enqueue {tp.EnqueuePerSecond:0}/s) {tp.Check}");
            var lat = await Bench.LatencyAsync(v, workers, rep);
            Console.Error.WriteLine($"  {label} workers={workers} rep={rep}: latency p50 {lat.P50:0.0} ms, p99 {lat.P99:0.0} ms, max {lat.Max:0.0} ms over {lat.Count} jobs (offered {lat.Offered:0}/s) {lat.Check}");
            results.Add(new RunResult(label, workers, rep, tp, lat));
        }
    }
}

var md = Report.Markdown(o, results);
Console.WriteLine(md);
if (o.Out is not null) await File.WriteAllTextAsync(o.Out, md);
var failed = results.Any(r => r.Throughput.Check != "ok" || r.Latency.Check != "ok");
return failed ? 2 : 0;

namespace Kiln.Bench.Queue
{
    internal sealed record BenchOptions(string Server, int[] Workers, int Repeats, int Jobs, int Concurrency, int Rate, int LatencySeconds,
        int EnqueueParallelism, string WorkerDll, double? PgbenchTps, string? Out, bool ProposedIndex, int Cap, string? GraphileJson,
        string? BaselineWorkerDll, string BaselineLabel)
    {
        public static BenchOptions Parse(string[] args)
        {
            var d = new Dictionary<string, string>();
            for (var i = 0; i + 1 < args.Length; i += 2) d[args[i].TrimStart('-')] = args[i + 1];
            string Get(string k, string def) => d.TryGetValue(k, out var v) ? v : def;
            return new BenchOptions(
                Get("server", Environment.GetEnvironmentVariable("KILN_BENCH_POSTGRES") ?? "Host=127.0.0.1;Port=5432;Username=kiln;Database=postgres"),
                Get("workers", "1,2,4").Split(',').Select(int.Parse).ToArray(),
                int.Parse(Get("repeats", "3"), CultureInfo.InvariantCulture),
                int.Parse(Get("jobs", "20000"), CultureInfo.InvariantCulture),
                int.Parse(Get("concurrency", "16"), CultureInfo.InvariantCulture),
                int.Parse(Get("rate", "200"), CultureInfo.InvariantCulture),
                int.Parse(Get("latency-seconds", "10"), CultureInfo.InvariantCulture),
                int.Parse(Get("enqueue-parallelism", "8"), CultureInfo.InvariantCulture),
                Get("worker-dll", ""),
                d.TryGetValue("pgbench-tps", out var t) && t.Length > 0 ? double.Parse(t, CultureInfo.InvariantCulture) : null,
                d.GetValueOrDefault("out"),
                Get("proposed-index", "false") == "true",
                int.Parse(Get("cap", "10000"), CultureInfo.InvariantCulture),
                d.GetValueOrDefault("graphile-json"),
                d.TryGetValue("baseline-worker-dll", out var b) && b.Length > 0 ? b : null,
                Get("baseline-label", "Kiln (baseline)"));
        }
    }

    internal sealed record ThroughputResult(int Completed, double Seconds, double JobsPerSecond, double EnqueuePerSecond, string Check,
        double WorkerCpu = double.NaN, double PostgresCpu = double.NaN, double WarmJobsPerSecond = double.NaN);
    internal sealed record LatencyResult(int Count, double Offered, double P50, double P99, double Max, string Check);
    internal sealed record RunResult(string Label, int Workers, int Rep, ThroughputResult Throughput, LatencyResult Latency);

    internal static class Bench
    {
        private static int _dbCounter;

        /// <summary>Enqueues all jobs first, then starts the workers: jobs completed per second from first claim to last completion.</summary>
        public static async Task<ThroughputResult> ThroughputAsync(BenchOptions o, int workers, int rep)
        {
            var conn = await NewDatabaseAsync(o, $"tp_w{workers}_r{rep}");
            await using var sp = await ServicesAsync(conn);
            var ws = await SetupWorkspaceAsync(sp, o, o.Jobs + 10_000);
            var sw = Stopwatch.StartNew();
            await EnqueueAsync(sp, ws, o.Jobs, o.EnqueueParallelism);
            var enqueueRate = o.Jobs / sw.Elapsed.TotalSeconds;
            await ExecAsync(conn, "ANALYZE");
            await using (var tx = await OpenAsync(conn))
            {
                // xmin = the inserting transaction: how many jobs each group commit wrote.
                var commits = await ReadAsync(tx, "SELECT count(DISTINCT xmin::text) FROM jobs", r => r.GetInt64(0));
                Console.Error.WriteLine($"    enqueue: {o.Jobs} jobs in {commits} transactions ({(double)o.Jobs / commits:0.0} jobs/commit) by {o.EnqueueParallelism} callers");
            }

            // The enqueuing phase's idle connections go away, so their statistics are flushed before the drain's snapshot.
            NpgsqlConnection.ClearAllPools();
            var before = await Profile.SnapshotAsync(conn);
            var procs = Enumerable.Range(0, workers).Select(i => StartWorker(o, conn, $"bench-w{i}")).ToList();
            Profile.Cpu? drainStart, drainEnd;
            try
            {
                (drainStart, drainEnd) = await WaitFinishedAsync(conn, o.Jobs, TimeSpan.FromSeconds(Math.Max(120, o.Jobs / 50.0)), procs);
            }
            finally { await StopAsync(procs); }
            NpgsqlConnection.ClearAllPools();
            await Task.Delay(300); // the workers' backends have exited and flushed their statistics
            var (workerCpu, pgCpu) = await Profile.ReportAsync(conn, before, drainStart, drainEnd, o.Jobs);

            await using var c = await OpenAsync(conn);
            var (first, last, done) = await ReadAsync(c, "SELECT extract(epoch FROM min(started_at))::float8, extract(epoch FROM max(finished_at))::float8, count(*) FROM jobs WHERE status = 2",
                r => (r.GetDouble(0), r.GetDouble(1), (int)r.GetInt64(2)));
            var seconds = last - first;
            // Warm: the jobs finished after the first quarter, over the time since it finished (the worker's JIT has
            // settled by then; a long-running worker is past it). graphile-worker's side is measured the same way.
            var warmN = o.Jobs / 4;
            var warm = await ReadAsync(c, $"""
                WITH w AS (SELECT finished_at FROM jobs WHERE status = 2 ORDER BY finished_at OFFSET {warmN - 1} LIMIT 1)
                SELECT count(*) FILTER (WHERE j.finished_at > w.finished_at)::float8 / nullif(extract(epoch FROM max(j.finished_at) - w.finished_at)::float8, 0)
                FROM jobs j, w WHERE j.status = 2 GROUP BY w.finished_at
                """, r => r.IsDBNull(0) ? double.NaN : r.GetDouble(0));
            var (claims, flushes) = await ReadAsync(c, "SELECT count(DISTINCT (worker_id, started_at)), count(DISTINCT finished_at) FROM jobs WHERE status = 2",
                r => (r.GetInt64(0), r.GetInt64(1)));
            Console.Error.WriteLine($"    {done} jobs in {claims} claims ({(double)done / claims:0.0}/claim) and {flushes} completion statements ({(double)done / flushes:0.0}/statement)");
            // Where a job's time goes: claim statement start → completion statement start (app clock, both stamped before
            // the statement), and the gaps between successive claims of one worker.
            var (runP50, runP99, gapP50) = await ReadAsync(c, """
                WITH j AS (SELECT worker_id, started_at, finished_at FROM jobs WHERE status = 2),
                claims AS (SELECT DISTINCT worker_id, started_at FROM j),
                gaps AS (SELECT started_at - lag(started_at) OVER (PARTITION BY worker_id ORDER BY started_at) AS gap FROM claims)
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000,
                       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000,
                       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap)) * 1000 FROM gaps WHERE gap IS NOT NULL)
                FROM j
                """, r => (r.GetDouble(0), r.GetDouble(1), r.GetDouble(2)));
            Console.Error.WriteLine($"    claim→completion p50 {runP50:0.0} ms, p99 {runP99:0.0} ms; gap between a worker's claims p50 {gapP50:0.00} ms");
            var check = await CheckAsync(c, ws, o.Jobs);
            await DropAsync(o, conn);
            return new ThroughputResult(done, seconds, done / seconds, enqueueRate, check, workerCpu, pgCpu, warm);
        }

        /// <summary>Workers idle and warm, jobs arrive at a steady rate below capacity: started_at − created_at.</summary>
        public static async Task<LatencyResult> LatencyAsync(BenchOptions o, int workers, int rep)
        {
            var conn = await NewDatabaseAsync(o, $"lat_w{workers}_r{rep}");
            await using var sp = await ServicesAsync(conn);
            var total = o.Rate * o.LatencySeconds;
            var warmup = Math.Min(400, o.Rate * 2);
            var ws = await SetupWorkspaceAsync(sp, o, total + warmup + 10_000);
            var procs = Enumerable.Range(0, workers).Select(i => StartWorker(o, conn, $"bench-w{i}")).ToList();
            double offered;
            DateTime mark;
            try
            {
                await WaitWorkersAsync(conn, workers, procs);
                await EnqueueAtRateAsync(sp, ws, warmup, o.Rate);
                await WaitFinishedAsync(conn, warmup, TimeSpan.FromSeconds(60));
                await Task.Delay(500);
                mark = DateTime.UtcNow;
                var sw = Stopwatch.StartNew();
                await EnqueueAtRateAsync(sp, ws, total, o.Rate);
                offered = total / sw.Elapsed.TotalSeconds;
                await WaitFinishedAsync(conn, warmup + total, TimeSpan.FromSeconds(120));
            }
            finally { await StopAsync(procs); }

            await using var c = await OpenAsync(conn);
            await using var cmd = new NpgsqlCommand("""
                SELECT count(*),
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at)) * 1000,
                  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at)) * 1000,
                  max(extract(epoch FROM started_at - created_at))::float8 * 1000
                FROM jobs WHERE created_at >= @mark
                """, c);
            cmd.Parameters.AddWithValue("mark", mark);
            LatencyResult result;
            await using (var r = await cmd.ExecuteReaderAsync())
            {
                await r.ReadAsync();
                result = new LatencyResult((int)r.GetInt64(0), offered, r.GetDouble(1), r.GetDouble(2), r.GetDouble(3), "");
            }
            var check = await CheckAsync(c, ws, warmup + total);
            await DropAsync(o, conn);
            return result with { Check = check };
        }

        /// <summary>
        /// Kiln's core services as the web process has them. The after-commit notifier is a hosted service (it sends the
        /// workers' wake-up NOTIFY after each group commit), so it is started here: without it the workers would only
        /// find jobs by their poll, and the latency would measure the poll interval.
        /// </summary>
        private static async Task<ServiceProvider> ServicesAsync(string conn)
        {
            var sp = Services(conn);
            await sp.GetRequiredService<Kiln.Core.Jobs.Events.PostgresEventNotifier>().StartAsync(CancellationToken.None);
            return sp;
        }

        private static ServiceProvider Services(string conn)
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kiln:Database:Provider"] = "Postgres",
                ["Kiln:Database:ConnectionString"] = conn,
                ["Kiln:Pipelines:Diagnostics"] = "true",
                ["Kiln:Storage:Provider"] = "Local",
                ["Kiln:Storage:LocalPath"] = Path.Combine(Path.GetTempPath(), "kiln-bench-blobs"),
            }).Build();
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(config);
            services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
            services.AddKilnCore(config);
            return services.BuildServiceProvider();
        }

        /// <summary>The index the claim's ORDER BY needs (not in the migrations yet; see RESULTS.md).</summary>
        public const string ProposedIndexSql = "CREATE INDEX ix_jobs_queued_priority ON jobs (priority DESC, run_after, id) WHERE status = 0";

        private static async Task<Guid> SetupWorkspaceAsync(ServiceProvider sp, BenchOptions o, long credits)
        {
            await using var scope = sp.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
            await db.Database.MigrateAsync();
            if (o.ProposedIndex) await db.Database.ExecuteSqlRawAsync(ProposedIndexSql);
            var ws = new Workspace { Id = Guid.NewGuid(), Name = "bench", MaxConcurrentJobs = o.Cap, CreatedAt = DateTime.UtcNow };
            db.Workspaces.Add(ws);
            await db.SaveChangesAsync();
            var ledger = scope.ServiceProvider.GetRequiredService<CreditsLedger>();
            var grant = await ledger.PostAsync(ws.Id, LedgerEntryKind.Grant, credits, $"bench:{ws.Id:N}", "benchmark", null, CancellationToken.None);
            if (!grant.IsSuccess) throw new InvalidOperationException("grant failed");
            return ws.Id;
        }

        private static readonly JobRequest Noop = new("noop", null, null);

        private static async Task EnqueueOneAsync(ServiceProvider sp, Guid ws)
        {
            await using var scope = sp.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<CreateJobCommand>().Run(ws, null, Noop, null, CancellationToken.None);
            if (!result.IsSuccess) throw new InvalidOperationException($"enqueue failed: {result.Error}");
        }

        /// <summary>Through CreateJobCommand — job row, hold, ledger entry and event, group-committed with the concurrent creations (EnqueueBatcher), then the NOTIFY.</summary>
        private static async Task EnqueueAsync(ServiceProvider sp, Guid ws, int n, int parallelism)
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, parallelism).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) < n) await EnqueueOneAsync(sp, ws);
            })));
        }

        /// <summary>Job i is enqueued at t0 + i/rate (4 lanes, so one slow insert does not stall the schedule).</summary>
        private static async Task EnqueueAtRateAsync(ServiceProvider sp, Guid ws, int n, int rate)
        {
            var sw = Stopwatch.StartNew();
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < n)
                {
                    var due = TimeSpan.FromSeconds((double)i / rate);
                    var wait = due - sw.Elapsed;
                    if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
                    else if (wait > TimeSpan.Zero) Thread.SpinWait(50);
                    await EnqueueOneAsync(sp, ws);
                }
            })));
        }

        private static async Task<string> CheckAsync(NpgsqlConnection c, Guid ws, int expected)
        {
            var problems = new List<string>();
            async Task Expect(string what, string sql, long want)
            {
                await using var cmd = new NpgsqlCommand(sql, c);
                cmd.Parameters.AddWithValue("ws", ws);
                var got = Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
                if (got != want) problems.Add($"{what}={got} (want {want})");
            }
            await Expect("succeeded", "SELECT count(*) FROM jobs WHERE workspace_id = @ws AND status = 2", expected);
            await Expect("attempts>1", "SELECT count(*) FROM jobs WHERE workspace_id = @ws AND attempt <> 1", 0);
            await Expect("captured holds", "SELECT count(*) FROM credit_holds WHERE workspace_id = @ws AND status = 1", expected);
            await Expect("capture entries", "SELECT count(*) FROM ledger_entries WHERE workspace_id = @ws AND kind = 4", expected);
            await Expect("held", "SELECT held FROM credit_accounts WHERE workspace_id = @ws", 0);
            await Expect("posted-sum", "SELECT (SELECT posted FROM credit_accounts WHERE workspace_id = @ws) - (SELECT sum(posted_delta) FROM ledger_entries WHERE workspace_id = @ws)", 0);
            await Expect("held-sum", "SELECT coalesce(sum(held_delta), 0) FROM ledger_entries WHERE workspace_id = @ws", 0);
            await Expect("status events", "SELECT count(*) FROM job_events WHERE workspace_id = @ws AND type = 'status'", 2L * expected);
            await Expect("running counter", "SELECT coalesce((SELECT running FROM workspace_running_jobs WHERE workspace_id = @ws), 0)", 0);
            return problems.Count == 0 ? "ok" : "FAILED: " + string.Join(", ", problems);
        }

        private static Process StartWorker(BenchOptions o, string conn, string id)
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(o.WorkerDll)!,
            };
            psi.ArgumentList.Add(o.WorkerDll);
            var env = psi.Environment;
            env["DOTNET_ENVIRONMENT"] = "Production";
            env["Kiln__Database__Provider"] = "Postgres";
            env["Kiln__Database__ConnectionString"] = conn;
            env["Kiln__Database__MigrateOnStartup"] = "false";
            env["Kiln__Pipelines__Diagnostics"] = "true";
            env["Kiln__Worker__WorkerId"] = id;
            env["Kiln__Worker__Concurrency"] = o.Concurrency.ToString(CultureInfo.InvariantCulture);
            env["Kiln__Worker__ScratchPath"] = Path.Combine(Path.GetTempPath(), "kiln-bench-scratch");
            env["Kiln__Storage__Provider"] = "Local";
            env["Kiln__Storage__LocalPath"] = Path.Combine(Path.GetTempPath(), "kiln-bench-blobs");
            // One log line per job is the production default; at thousands of jobs/s it would measure the console, not the queue.
            env["Logging__LogLevel__Default"] = "Warning";
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"    [{id}] {e.Data}"); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"    [{id}] {e.Data}"); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return p;
        }

        private static async Task StopAsync(List<Process> procs)
        {
            foreach (var p in procs.Where(p => !p.HasExited))
                using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            foreach (var p in procs)
            {
                try { await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(45)); }
                catch (TimeoutException) { p.Kill(entireProcessTree: true); }
                p.Dispose();
            }
        }

        private static async Task WaitWorkersAsync(string conn, int workers, List<Process> procs)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                if (procs.Any(p => p.HasExited)) throw new InvalidOperationException("a worker exited");
                await using var c = await OpenAsync(conn);
                var n = await ReadAsync(c, "SELECT count(*) FROM worker_heartbeats", r => r.GetInt64(0));
                if (n >= workers) { await Task.Delay(1000); return; }
                await Task.Delay(200);
            }
            throw new TimeoutException("workers did not start");
        }

        private static async Task WaitFinishedAsync(string conn, int n, TimeSpan timeout) => await WaitFinishedAsync(conn, n, timeout, null);

        /// <summary>
        /// Waits until n jobs are finished. With the worker processes given, also samples CPU time (workers and the
        /// PostgreSQL cluster) at the first poll that sees a finished job and at the end, so the drain's CPU leaves out
        /// the workers' start-up (JIT, first connections).
        /// </summary>
        private static async Task<(Profile.Cpu?, Profile.Cpu?)> WaitFinishedAsync(string conn, int n, TimeSpan timeout, List<Process>? procs)
        {
            var deadline = DateTime.UtcNow + timeout;
            await using var c = await OpenAsync(conn);
            // The polls below must use the partial index of unfinished jobs, not scan every finished one.
            await using (var noSeq = new NpgsqlCommand("SET enable_seqscan = off", c)) await noSeq.ExecuteNonQueryAsync();
            var postmaster = procs is null ? 0 : await Profile.PostmasterPidAsync(c);
            Profile.Cpu? start = null;
            // Cheap polls (graphile-worker's bench counts in-process and polls nothing): a full count(*) of the jobs
            // every poll cost PostgreSQL a scan of N rows, 20 times a second, while the workers drained.
            while (procs is not null && start is null)
            {
                if (await ReadAsync(c, "SELECT EXISTS (SELECT 1 FROM jobs WHERE status >= 2)", r => r.GetBoolean(0)))
                    start = Profile.Sample(procs, postmaster, await ReadAsync(c, "SELECT count(*) FROM jobs WHERE status >= 2", r => r.GetInt64(0)));
                else await Task.Delay(20);
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"no job of {n} finished");
            }
            while (true)
            {
                if (!await ReadAsync(c, "SELECT EXISTS (SELECT 1 FROM jobs WHERE status < 2)", r => r.GetBoolean(0)))
                {
                    var done = await ReadAsync(c, "SELECT count(*) FROM jobs WHERE status >= 2", r => r.GetInt64(0));
                    if (done >= n) return (start, procs is null ? null : Profile.Sample(procs, postmaster, done));
                }
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"only {await ReadAsync(c, "SELECT count(*) FROM jobs WHERE status >= 2", r => r.GetInt64(0))} of {n} jobs finished");
                await Task.Delay(procs is null ? 100 : 50);
            }
        }

        private static async Task<string> NewDatabaseAsync(BenchOptions o, string tag)
        {
            var name = $"kiln_bench_{tag}_{Interlocked.Increment(ref _dbCounter)}_{Environment.ProcessId}";
            await ExecAsync(o.Server, $"CREATE DATABASE {name}");
            return new NpgsqlConnectionStringBuilder(o.Server) { Database = name }.ToString();
        }

        private static async Task DropAsync(BenchOptions o, string conn)
        {
            NpgsqlConnection.ClearAllPools();
            var name = new NpgsqlConnectionStringBuilder(conn).Database;
            await ExecAsync(o.Server, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }

        private static async Task<NpgsqlConnection> OpenAsync(string conn)
        {
            var c = new NpgsqlConnection(conn);
            await c.OpenAsync();
            return c;
        }

        private static async Task ExecAsync(string conn, string sql)
        {
            await using var c = await OpenAsync(conn);
            await using var cmd = new NpgsqlCommand(sql, c);
            await cmd.ExecuteNonQueryAsync();
        }

        private static async Task<T> ReadAsync<T>(NpgsqlConnection c, string sql, Func<NpgsqlDataReader, T> map)
        {
            await using var cmd = new NpgsqlCommand(sql, c);
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            return map(r);
        }
    }

    /// <summary>
    /// Where a drained job's cost goes: CPU seconds of the worker processes and of the PostgreSQL cluster (from
    /// /proc/&lt;pid&gt;/stat, so other load on the machine does not count), and the database's transaction and row counters
    /// (pg_stat_database for this run's own database), plus pg_stat_statements when the cluster loaded it (PGSS=1).
    /// </summary>
    internal static class Profile
    {
        internal sealed record Cpu(long Done, double Workers, double Postgres);
        internal sealed record Counters(long Commits, long Fetched, long Inserted, long Updated, long Deleted, long BlksHit, long BlksRead);

        private const double Tick = 100.0; // CLK_TCK on Linux
        private const string CountersSql = """
            SELECT xact_commit, tup_fetched, tup_inserted, tup_updated, tup_deleted, blks_hit, blks_read
            FROM pg_stat_database WHERE datname = current_database()
            """;

        private static string[]? StatFields(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            }
            catch (IOException) { return null; }
        }

        /// <summary>utime + stime (+ its reaped children's, when asked) of a process, in seconds; 0 if it is gone.</summary>
        private static double ProcessSeconds(int pid, bool children)
        {
            // Fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
            if (StatFields(pid) is not { } f) return 0;
            var t = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            if (children) t += long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
            return t / Tick;
        }

        private static int ParentOf(int pid) => StatFields(pid) is { } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : 0;

        public static async Task<int> PostmasterPidAsync(NpgsqlConnection c)
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", c);
            return ParentOf(Convert.ToInt32(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture));
        }

        /// <summary>The cluster's CPU: the postmaster with every child it reaped, plus its live children (backends, WAL writer…).</summary>
        private static double PostgresSeconds(int postmaster)
        {
            if (postmaster <= 0) return double.NaN;
            var total = ProcessSeconds(postmaster, children: true);
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == postmaster) continue;
                if (ParentOf(pid) == postmaster) total += ProcessSeconds(pid, children: true);
            }
            return total;
        }

        public static Cpu Sample(List<Process> workers, int postmaster, long done) =>
            new(done, workers.Sum(p => ProcessSeconds(p.Id, children: false)), PostgresSeconds(postmaster));

        private static async Task<bool> HasPgssAsync(NpgsqlConnection c)
        {
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'", c);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0;
        }

        private static async Task<Counters> ReadCountersAsync(NpgsqlConnection c)
        {
            await using var cmd = new NpgsqlCommand(CountersSql, c);
            await using var rd = await cmd.ExecuteReaderAsync();
            await rd.ReadAsync();
            return new Counters(rd.GetInt64(0), rd.GetInt64(1), rd.GetInt64(2), rd.GetInt64(3), rd.GetInt64(4), rd.GetInt64(5), rd.GetInt64(6));
        }

        /// <summary>The counters before the drain (and pg_stat_statements reset, when loaded).</summary>
        public static async Task<Counters> SnapshotAsync(string conn)
        {
            await using var c = new NpgsqlConnection(conn);
            await c.OpenAsync();
            if (await HasPgssAsync(c))
                await using (var r = new NpgsqlCommand("SELECT pg_stat_statements_reset()", c)) await r.ExecuteNonQueryAsync();
            return await ReadCountersAsync(c);
        }

        /// <summary>Prints the drain's profile; returns the CPU seconds per 1,000 jobs of the workers and of PostgreSQL.</summary>
        public static async Task<(double Workers, double Postgres)> ReportAsync(string conn, Counters before, Cpu? start, Cpu? end, int jobs)
        {
            var cpu = (double.NaN, double.NaN);
            var ci = CultureInfo.InvariantCulture;
            await using var c = new NpgsqlConnection(conn);
            await c.OpenAsync();
            var after = await ReadCountersAsync(c);
            if (start is not null && end is not null && end.Done > start.Done)
            {
                var k = 1000.0 / (end.Done - start.Done);
                cpu = ((end.Workers - start.Workers) * k, (end.Postgres - start.Postgres) * k);
                Console.Error.WriteLine(string.Create(ci, $"    profile: CPU s per 1,000 drained jobs: workers {(end.Workers - start.Workers) * k:0.000}, PostgreSQL {(end.Postgres - start.Postgres) * k:0.000} (over {end.Done - start.Done} jobs)"));
            }
            var per = 1.0 / jobs;
            Console.Error.WriteLine(string.Create(ci, $"    profile: per drained job: {(after.Commits - before.Commits) * per:0.000} commits, rows fetched {(after.Fetched - before.Fetched) * per:0.0}, " +
                $"inserted {(after.Inserted - before.Inserted) * per:0.00}, updated {(after.Updated - before.Updated) * per:0.00}, deleted {(after.Deleted - before.Deleted) * per:0.00}, " +
                $"buffer hits {(after.BlksHit - before.BlksHit) * per:0.0}, reads {(after.BlksRead - before.BlksRead) * per:0.00}"));
            // Which tables and indexes the rows came from (the whole run, enqueue included).
            await using (var idx = new NpgsqlCommand("""
                SELECT relname || coalesce('.' || indexrelname, ''), n, f FROM (
                    SELECT relname, NULL AS indexrelname, seq_tup_read AS n, idx_tup_fetch AS f FROM pg_stat_user_tables WHERE seq_tup_read + coalesce(idx_tup_fetch, 0) > 0
                    UNION ALL
                    SELECT relname, indexrelname, idx_tup_read, idx_tup_fetch FROM pg_stat_user_indexes WHERE idx_tup_read > 0) x
                ORDER BY n + coalesce(f, 0) DESC LIMIT 6
                """, c))
            await using (var ir = await idx.ExecuteReaderAsync())
                while (await ir.ReadAsync())
                    Console.Error.WriteLine(string.Create(ci, $"    rows: {ir.GetString(0)}: {(ir.IsDBNull(1) ? 0 : ir.GetInt64(1)) * per:0.0} read (seq for a table, index entries for an index), {(ir.IsDBNull(2) ? 0 : ir.GetInt64(2)) * per:0.0} fetched per job"));
            if (!await HasPgssAsync(c)) return cpu;
            await using var cmd = new NpgsqlCommand("""
                SELECT calls, rows, shared_blks_hit::float8, total_exec_time, left(regexp_replace(query, '\s+', ' ', 'g'), 160)
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                ORDER BY shared_blks_hit DESC LIMIT 10
                """, c);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                Console.Error.WriteLine(string.Create(ci, $"    pgss: {r.GetInt64(0),6} calls {r.GetInt64(1),7} rows, {r.GetDouble(2),8:0} buffer hits, exec {r.GetDouble(3),8:0.0} ms ({r.GetDouble(3) * 1000 / jobs:0.0} µs/job)  {r.GetString(4)}"));
            return cpu;
        }
    }

    internal static class Report
    {
        private static double Median(IEnumerable<double> xs)
        {
            var s = xs.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
        }

        public static string Markdown(BenchOptions o, List<RunResult> results)
        {
            var ci = CultureInfo.InvariantCulture;
            var sb = new StringBuilder();
            if (o.PgbenchTps is { } tps) sb.AppendLine(ci, $"pgbench -N baseline (same cluster, same run): **{tps:0} TPS**").AppendLine();
            if (o.ProposedIndex) sb.AppendLine(ci, $"With the proposed claim index: `{Bench.ProposedIndexSql}`").AppendLine();
            sb.AppendLine(ci, $"Median of {o.Repeats} runs per row; {o.Jobs} no-op jobs per throughput run; latency at {o.Rate} jobs/s offered for {o.LatencySeconds} s; {o.Concurrency} slots per worker.").AppendLine();
            var peer = Graphile.Read(o.GraphileJson);
            var peerTp = peer is null ? (double?)null : Median(peer.Runs.Select(r => r.Throughput.JobsPerSecond));
            var peerWarm = peer is null ? (double?)null : Median(peer.Runs.Select(r => r.Throughput.WarmJobsPerSecond ?? double.NaN));
            sb.AppendLine("| Queue | Workers | Slots | Throughput (jobs/s) | (runs) | × graphile | Warm (jobs/s) | × graphile warm | CPU s / 1,000 jobs: workers + PostgreSQL | Enqueue (jobs/s) | p50 enqueue→start (ms) | p99 (ms) | (p50 / p99 runs) | Checks |");
            sb.AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---|---|");
            if (peer is not null)
            {
                var runs = peer.Runs;
                var ok = runs.All(r => r.Throughput.Check == "ok" && r.Latency.Check == "ok") ? "all ok" : "see log";
                sb.AppendLine(ci, $"| graphile-worker 0.18 (Node {peer.Node}) | 1 | {peer.Concurrency} | **{peerTp:0}** | " +
                    $"{string.Join(" / ", runs.Select(r => r.Throughput.JobsPerSecond.ToString("0", ci)))} | 1.00 | **{peerWarm:0}** | 1.00 | — | {Median(runs.Select(r => r.Throughput.EnqueuePerSecond)):0} | " +
                    $"**{Median(runs.Select(r => r.Latency.P50)):0.0}** | **{Median(runs.Select(r => r.Latency.P99)):0.0}** | " +
                    $"{string.Join(" / ", runs.Select(r => r.Latency.P50.ToString("0.0", ci) + "–" + r.Latency.P99.ToString("0.0", ci)))} | {ok} |");
            }
            foreach (var g in results.GroupBy(r => (r.Label, r.Workers)))
            {
                var runs = g.ToList();
                var ok = runs.All(r => r.Throughput.Check == "ok" && r.Latency.Check == "ok") ? "all ok" : "see log";
                var tp = Median(runs.Select(r => r.Throughput.JobsPerSecond));
                var ratio = peerTp is { } gw ? (tp / gw).ToString("0.00", ci) : "—";
                var warm = Median(runs.Select(r => r.Throughput.WarmJobsPerSecond));
                var warmRatio = peerWarm is { } gww ? (warm / gww).ToString("0.00", ci) : "—";
                sb.AppendLine(ci, $"| {g.Key.Label} | {g.Key.Workers} | {o.Concurrency} | **{tp:0}** | " +
                    $"{string.Join(" / ", runs.Select(r => r.Throughput.JobsPerSecond.ToString("0", ci)))} | {ratio} | **{warm:0}** | {warmRatio} | " +
                    $"{Median(runs.Select(r => r.Throughput.WorkerCpu)):0.000} + {Median(runs.Select(r => r.Throughput.PostgresCpu)):0.000} | {Median(runs.Select(r => r.Throughput.EnqueuePerSecond)):0} | " +
                    $"**{Median(runs.Select(r => r.Latency.P50)):0.0}** | **{Median(runs.Select(r => r.Latency.P99)):0.0}** | " +
                    $"{string.Join(" / ", runs.Select(r => r.Latency.P50.ToString("0.0", ci) + "–" + r.Latency.P99.ToString("0.0", ci)))} | {ok} |");
            }
            sb.AppendLine().AppendLine("× graphile: Kiln's median throughput over graphile-worker's, same run and cluster: the whole drain from a cold process, and warm = the jobs after the first quarter, over the time since it finished (each process's JIT has settled; a long-running worker is past it). Targets (issue 14): ≥ 1.00×, p50 ≤ 4 ms, p99 ≤ 8 ms.");
            if (o.BaselineWorkerDll is not null)
                foreach (var w in results.Select(r => r.Workers).Distinct())
                {
                    double Tp(string label) => Median(results.Where(r => r.Label == label && r.Workers == w).Select(r => r.Throughput.JobsPerSecond));
                    var pairs = results.Where(r => r.Label == "Kiln" && r.Workers == w)
                        .Select(r => r.Throughput.JobsPerSecond / results.Single(b => b.Label == o.BaselineLabel && b.Workers == w && b.Rep == r.Rep).Throughput.JobsPerSecond);
                    sb.AppendLine(ci, $"- {w} worker(s): this tree / {o.BaselineLabel} = **{Tp("Kiln") / Tp(o.BaselineLabel):0.00}×** (medians; per round: {string.Join(", ", pairs.Select(x => x.ToString("0.00", ci)))})");
                }
            return sb.ToString();
        }
    }

    /// <summary>The JSON line bench/graphile/bench.mjs prints (graphile-worker on the same cluster, same jobs and latency method).</summary>
    internal sealed record Graphile(string Node, int Concurrency, List<Graphile.Run> Runs)
    {
        internal sealed record Run(Tp Throughput, Lat Latency);
        internal sealed record Tp(int Completed, double Seconds, double JobsPerSecond, double EnqueuePerSecond, string Check, double? WarmJobsPerSecond = null);
        internal sealed record Lat(int Count, double Offered, double P50, double P99, double Max, string Check);

        private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

        public static Graphile? Read(string? path) =>
            path is null || !File.Exists(path) || new FileInfo(path).Length == 0 ? null
                : System.Text.Json.JsonSerializer.Deserialize<Graphile>(File.ReadAllText(path), Json);
    }
}

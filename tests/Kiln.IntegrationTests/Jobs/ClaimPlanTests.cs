using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Accounts;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// A claim's cost must not grow with a workspace's history. The worker runs the claim as a prepared statement with a
/// generic plan; ordered by workspace alone, that plan could walk every job of the workspace through another index and
/// filter out the finished ones row by row (bench/RESULTS.md, branch qdrain: 450 index entries read per drained job at
/// 8,000 jobs). Whatever plan PostgreSQL picks, it may touch the queued jobs only.
/// </summary>
public sealed class ClaimPlanTests(PostgresServer pg)
{
    [Fact]
    public async Task The_prepared_claim_reads_the_queued_jobs_only_however_many_the_workspace_finished()
    {
        var options = await Providers.NewDatabase("postgres", pg);
        await using var db = DataRegistrations.CreateContext(options);
        await db.Database.MigrateAsync();
        var ws = new Workspace { Id = Guid.NewGuid(), Name = "history", CreatedAt = DateTime.UtcNow };
        db.Workspaces.Add(ws);
        // A backlog analyzed while it was queued (as after a burst), then drained: 3,000 finished jobs.
        var early = DateTime.UtcNow.AddHours(-1);
        db.Jobs.AddRange(Enumerable.Range(0, 3000).Select(i => NewJob(ws.Id, early.AddMilliseconds(i))));
        await db.SaveChangesAsync();
        await db.Database.ExecuteSqlRawAsync("ANALYZE jobs");
        await db.Jobs.IgnoreQueryFilters().ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Succeeded));
        db.Jobs.Add(NewJob(ws.Id, DateTime.UtcNow.AddSeconds(-1)));
        await db.SaveChangesAsync();

        // The claim's own text, with its named parameters as a PREPAREd statement's, run with a generic plan.
        var types = new Dictionary<string, string>
        {
            ["now"] = "timestamptz", ["expires"] = "timestamptz", ["scan"] = "int", ["max"] = "int", ["cap"] = "int", ["worker"] = "text",
            ["plans"] = "text[]", ["weights"] = "float8[]", ["any"] = "boolean", ["pipelines"] = "text[]",
        };
        var values = new Dictionary<string, string>
        {
            ["now"] = "now()", ["expires"] = "now() + interval '5 minutes'", ["scan"] = "16", ["max"] = "4", ["cap"] = "10", ["worker"] = "'w'",
            ["plans"] = "'{}'::text[]", ["weights"] = "'{}'::float8[]", ["any"] = "true", ["pipelines"] = "'{}'::text[]",
        };
        var order = new List<string>();
        var sql = Regex.Replace(QueueSql.Claim, "@([a-z_]+)", m =>
        {
            var name = m.Groups[1].Value;
            if (!order.Contains(name)) order.Add(name);
            return "$" + (order.IndexOf(name) + 1);
        });
        order.ShouldBeSubsetOf(types.Keys);

        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await Exec(conn, "SET LOCAL plan_cache_mode = force_generic_plan");
        await Exec(conn, $"PREPARE claim ({string.Join(", ", order.Select(n => types[n]))}) AS {sql}");
        await using var explain = new NpgsqlCommand($"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim ({string.Join(", ", order.Select(n => values[n]))})", conn);
        using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);
        await tx.RollbackAsync();

        var root = plan.RootElement[0].GetProperty("Plan");
        root.GetProperty("Actual Rows").GetDouble().ShouldBe(1, "the one queued job is claimed");
        var read = JobRowsRead(root);
        read.ShouldBeLessThan(50, $"the claim's index scans read {read} job rows for 1 queued job beside 3,000 finished ones:\n{root}");
    }

    private static Job NewJob(Guid workspace, DateTime at) => new()
    {
        Id = Guid.NewGuid(), WorkspaceId = workspace, PipelineId = "noop", Status = JobStatus.Queued,
        RunAfter = at, CreatedAt = at, TimeoutSeconds = 60,
    };

    /// <summary>
    /// Rows of <c>jobs</c> every index scan returned or filtered out, times its loops. (On a table this small PostgreSQL
    /// may prefer a sequential scan for the id lookups; it does not on a large one, so those are not counted.)
    /// </summary>
    private static double JobRowsRead(JsonElement node)
    {
        double Get(string name) => node.TryGetProperty(name, out var v) ? v.GetDouble() : 0;
        var read = node.TryGetProperty("Relation Name", out var rel) && rel.GetString() == "jobs"
            && node.GetProperty("Node Type").GetString()!.Contains("Index", StringComparison.Ordinal)
            ? (Get("Actual Rows") + Get("Rows Removed by Filter") + Get("Rows Removed by Index Recheck")) * Math.Max(1, Get("Actual Loops"))
            : 0;
        if (node.TryGetProperty("Plans", out var children))
            foreach (var child in children.EnumerateArray()) read += JobRowsRead(child);
        return read;
    }

    private static async Task Exec(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

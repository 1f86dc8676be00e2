using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Core.Jobs.Queue;

/// <summary>The success path: one fenced statement per batch on PostgreSQL, one transaction per job on SQLite.</summary>
public sealed partial class JobQueue
{
    /// <summary>Marks the job succeeded, records its artifacts and captures its cost — all or nothing, fenced.</summary>
    public async Task<bool> SucceedAsync(Job job, Guid lease, long cost, IReadOnlyList<ArtifactRecord> artifacts, CancellationToken ct)
    {
        if (BatchedLedgerSql) return (await SucceedManyAsync([new Completion(job, lease, cost, artifacts)], ct))[0];
        return await SucceedOneByOneAsync(job, lease, cost, artifacts, ct);
    }

    /// <summary>
    /// PostgreSQL: completes several successful attempts in ONE statement (one round trip, one commit). Each job is fenced
    /// by its own lease token; only the jobs that pass the fence get their open hold resolved (capture, then release of
    /// the rest, each with its unique idempotency key), their artifacts and events inserted, and the workspace account
    /// moved once by the batch's total. Ledger entries get the running totals they would have had one by one, so the
    /// entries stay append-only and sum to the account. All completions must belong to one workspace (the batcher
    /// groups them), so a statement locks one account row and two batches cannot deadlock on accounts.
    /// Returns, per completion, whether it passed the fence.
    /// </summary>
    public async Task<bool[]> SucceedManyAsync(IReadOnlyList<Completion> batch, CancellationToken ct)
    {
        if (batch.Count == 0) return [];
        if (!BatchedLedgerSql || batch.Select(c => c.Job.WorkspaceId).Distinct().Count() > 1)
        {
            var results = new bool[batch.Count];
            for (var i = 0; i < batch.Count; i++)
                results[i] = await SucceedOneByOneAsync(batch[i].Job, batch[i].Lease, batch[i].Cost, batch[i].Artifacts, ct);
            return results;
        }

        return await WithConnectionAsync(async conn =>
        {
            await using var cmd = new NpgsqlCommand(QueueSql.SucceedMany, conn);
            if (db.Database.CurrentTransaction?.GetDbTransaction() is NpgsqlTransaction tx) cmd.Transaction = tx;
            AddSucceedParameters(cmd.Parameters, batch, Now);
            await cmd.PrepareAsync(ct);
            bool[] results;
            List<(long, long)> moved;
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                (results, moved) = await ReadSucceedResultsAsync(r, batch.Count, ct);
            CountMoves(moved);
            ReportCompleted(batch, results);
            return results;
        }, ct);
    }

    private static void AddSucceedParameters(NpgsqlParameterCollection p, IReadOnlyList<Completion> batch, DateTime now)
    {
        var n = batch.Count;
        var ids = new Guid[n]; var leases = new Guid[n]; var costs = new long[n]; var ords = new int[n];
        var aIds = new List<Guid>(); var aJobs = new List<Guid>(); var aNames = new List<string>(); var aTypes = new List<string>();
        var aSizes = new List<long>(); var aKeys = new List<string>(); var aShas = new List<string>(); var aEvents = new List<string>(); var aOrd = new List<int>();
        for (var i = 0; i < n; i++)
        {
            var c = batch[i];
            ids[i] = c.Job.Id; leases[i] = c.Lease; costs[i] = c.Cost; ords[i] = i;
            for (var k = 0; k < c.Artifacts.Count; k++)
            {
                var a = c.Artifacts[k];
                aIds.Add(Common.Ids.New()); aJobs.Add(c.Job.Id); aNames.Add(a.Name); aTypes.Add(a.ContentType); aSizes.Add(a.Size);
                aKeys.Add(a.BlobKey); aShas.Add(a.Sha256); aOrd.Add(k);
                aEvents.Add(JsonSerializer.Serialize(new { name = a.Name, contentType = a.ContentType, size = a.Size }, EventJson));
            }
        }
        p.Add(new NpgsqlParameter<Guid[]>("ids", ids));
        p.Add(new NpgsqlParameter<Guid[]>("leases", leases));
        p.Add(new NpgsqlParameter<long[]>("costs", costs));
        p.Add(new NpgsqlParameter<int[]>("ords", ords));
        p.Add(new NpgsqlParameter<DateTime>("now", now));
        p.Add(new NpgsqlParameter<string>("status_json", SucceededEventJson));
        p.Add(new NpgsqlParameter<Guid[]>("a_ids", [.. aIds]));
        p.Add(new NpgsqlParameter<Guid[]>("a_jobs", [.. aJobs]));
        p.Add(new NpgsqlParameter<string[]>("a_names", [.. aNames]));
        p.Add(new NpgsqlParameter<string[]>("a_types", [.. aTypes]));
        p.Add(new NpgsqlParameter<long[]>("a_sizes", [.. aSizes]));
        p.Add(new NpgsqlParameter<string[]>("a_keys", [.. aKeys]));
        p.Add(new NpgsqlParameter<string[]>("a_shas", [.. aShas]));
        p.Add(new NpgsqlParameter<string[]>("a_events", [.. aEvents]));
        p.Add(new NpgsqlParameter<int[]>("a_ord", [.. aOrd]));
    }

    /// <summary>Reads the batch statement's answer: which completions passed their fence, and the ledger movements.</summary>
    private static async Task<(bool[], List<(long, long)>)> ReadSucceedResultsAsync(System.Data.Common.DbDataReader r, int n, CancellationToken ct)
    {
        var results = new bool[n];
        var moved = new List<(long Captured, long Released)>();
        while (await r.ReadAsync(ct))
        {
            results[r.GetInt32(0)] = true;
            if (!r.IsDBNull(1)) moved.Add((r.GetInt64(1), r.GetInt64(2)));
        }
        return (results, moved);
    }

    /// <summary>
    /// The live channel's notices for a committed batch (its raw SQL bypasses EF's commit hook): each finished job's
    /// events and the workspace's credits. Sent after the commit, never inside it (see Events.PostgresEventNotifier).
    /// </summary>
    private void ReportCompleted(IReadOnlyList<Completion> batch, bool[] results)
    {
        if (notices is null) return;
        for (var i = 0; i < batch.Count; i++)
            if (results[i]) notices.Notify(new Events.EventNotice(batch[i].Job.WorkspaceId, batch[i].Job.Id, 0));
        if (results.Any(r => r)) notices.Notify(new Events.EventNotice(batch[0].Job.WorkspaceId, null, 0));
    }

    /// <summary>Metrics for committed ledger movements.</summary>
    private static void CountMoves(List<(long Captured, long Released)> moved)
    {
        foreach (var (captured, released) in moved)
        {
            if (captured > 0) CreditsLedger.CountMovement(LedgerEntryKind.Capture, captured);
            if (released > 0) CreditsLedger.CountMovement(LedgerEntryKind.Release, released);
        }
    }

    public sealed record Completion(Job Job, Guid Lease, long Cost, IReadOnlyList<ArtifactRecord> Artifacts);

    private static readonly JsonSerializerOptions EventJson = new(JsonSerializerDefaults.Web);
    private static readonly string SucceededEventJson = JsonSerializer.Serialize(new { status = "succeeded", percent = 100 }, EventJson);

    private async Task<bool> SucceedOneByOneAsync(Job job, Guid lease, long cost, IReadOnlyList<ArtifactRecord> artifacts, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = Now;
        var n = await Fenced(job.Id, lease).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Succeeded).SetProperty(j => j.ProgressPercent, 100)
            .SetProperty(j => j.ProgressStep, "done").SetProperty(j => j.ProgressMessage, (string?)null)
            .SetProperty(j => j.CostActual, Math.Min(cost, job.CostEstimate)).SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.LeaseToken, (Guid?)null).SetProperty(j => j.LeaseExpiresAt, (DateTime?)null), ct);
        if (n == 0) { await tx.RollbackAsync(ct); return false; }
        foreach (var a in artifacts)
        {
            db.Artifacts.Add(new Artifact
            {
                Id = Common.Ids.New(), JobId = job.Id, WorkspaceId = job.WorkspaceId, Name = a.Name, ContentType = a.ContentType,
                Size = a.Size, BlobKey = a.BlobKey, Sha256 = a.Sha256, CreatedAt = now,
            });
        }
        await db.SaveChangesAsync(ct);
        await ledger.ResolveHoldAsync(job.Id, cost, ct);
        foreach (var a in artifacts) await events.AppendAsync(job, JobEventTypes.Artifact, new { name = a.Name, contentType = a.ContentType, size = a.Size }, ct);
        await events.AppendAsync(job, JobEventTypes.Status, new { status = "succeeded", percent = 100 }, ct);
        await LeftRunningAsync(job.WorkspaceId, ct);
        await tx.CommitAsync(ct);
        return true;
    }
}

using System.Collections.Concurrent;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Core.Jobs.Queue;

/// <summary>
/// Group commit for job creation on PostgreSQL (issue 14). Concurrent <see cref="CreateJobCommand"/>s hand their job to
/// this batcher; whoever gets the writer's turn commits every job waiting at that moment in ONE transaction and ONE round
/// trip (an <see cref="NpgsqlBatch"/> of <see cref="QueueSql.InsertJob"/> statements, one per job), while the jobs that
/// arrive during that commit wait for the next turn. A lone request is a batch of one, so an idle system pays nothing.
/// <para>
/// Every rule stays per job: each statement places its own job's hold against the balance its batch-mates left (the
/// statements run in order in one transaction), so a job without enough credits inserts nothing and the others go on;
/// the "queued" event is each job's own. A statement that FAILS (a concurrent request won an idempotency key, a
/// workspace deleted meanwhile) would abort the whole transaction, so then the batch is rolled back and every job is
/// retried alone, each getting its own answer — one bad request never fails its batch-mates. Jobs are written in
/// workspace order, so two batches (in two web processes) lock the workspaces' account rows in the same order.
/// </para>
/// After the commit the wake-up (workers' NOTIFY) and the live channel's notices go out through
/// <see cref="Events.PostgresEventNotifier"/>, never inside the transaction (a NOTIFY serialises committers).
/// </summary>
public sealed class EnqueueBatcher(IOptions<DatabaseOptions> database, JobSignal signal, Events.PostgresEventNotifier notices)
{
    /// <summary>Most jobs one transaction writes; more waiting ones go in the next turn.</summary>
    internal const int MaxBatch = 128;

    // Lazy: the batcher is registered on SQLite too (CreateJobCommand takes it), where this string is not Npgsql's.
    private readonly Lazy<string> _connectionString = new(() => DataRegistrations.WithGenericPlans(database.Value.ConnectionString));
    private readonly ConcurrentQueue<Pending> _waiting = new();
    private readonly SemaphoreSlim _turn = new(1, 1);
    private long _batches;
    private long _largest;

    /// <summary>Transactions written so far by this process (tests and diagnostics).</summary>
    internal long Batches => Interlocked.Read(ref _batches);
    /// <summary>The most jobs one transaction has written so far.</summary>
    internal long LargestBatch => Interlocked.Read(ref _largest);
    /// <summary>Jobs waiting for the next turn.</summary>
    internal int Waiting => _waiting.Count;

    /// <summary>
    /// Inserts the job with its hold, hold entry and "queued" event, committed when this returns. Returns the account's
    /// (posted, held) after the hold, or null when nothing was inserted (no account yet, or not enough credits).
    /// Throws what the job's own statement raised (e.g. a unique violation of its idempotency key).
    /// </summary>
    public async Task<(long Posted, long Held)?> InsertAsync(Job job)
    {
        var mine = new Pending(job);
        _waiting.Enqueue(mine);
        while (!mine.Done.Task.IsCompleted)
        {
            // Not cancellable: once queued the job may be written by another caller's turn, and the answer must be true.
            await _turn.WaitAsync();
            try
            {
                if (mine.Done.Task.IsCompleted) break;
                var batch = new List<Pending>();
                while (batch.Count < MaxBatch && _waiting.TryDequeue(out var p)) batch.Add(p);
                if (batch.Count > 0) await WriteAsync(batch);
            }
            finally { _turn.Release(); }
        }
        return await mine.Done.Task;
    }

    private async Task WriteAsync(List<Pending> arrived)
    {
        // Stable: one workspace's jobs keep their arrival order (each sees the balance its predecessors left).
        var batch = arrived.OrderBy(p => p.Job.WorkspaceId).ToList();
        Interlocked.Increment(ref _batches);
        long seen;
        while ((seen = Interlocked.Read(ref _largest)) < batch.Count && Interlocked.CompareExchange(ref _largest, batch.Count, seen) != seen) { }
        try
        {
            var results = await CommitAsync(batch);
            for (var i = 0; i < batch.Count; i++) Complete(batch[i], results[i]);
        }
        catch (PostgresException) when (batch.Count > 1)
        {
            // One statement failed and took the transaction with it: each job alone, with its own answer.
            foreach (var p in batch)
            {
                try { Complete(p, (await CommitAsync([p]))[0]); }
                catch (Exception ex) { p.Done.TrySetException(ex); }
            }
        }
        catch (Exception ex)
        {
            foreach (var p in batch) p.Done.TrySetException(ex);
        }
    }

    private void Complete(Pending p, (long, long)? moved)
    {
        if (moved is not null)
        {
            signal.NotifyLocal();
            notices.WakeWorkers();
            notices.Notify(new Events.EventNotice(p.Job.WorkspaceId, p.Job.Id, 0));
            notices.Notify(new Events.EventNotice(p.Job.WorkspaceId, null, 0));
        }
        p.Done.TrySetResult(moved);
    }

    private async Task<(long, long)?[]> CommitAsync(IReadOnlyList<Pending> batch)
    {
        await using var conn = new NpgsqlConnection(_connectionString.Value);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using var b = new NpgsqlBatch(conn, tx);
        foreach (var p in batch)
        {
            var cmd = new NpgsqlBatchCommand(QueueSql.InsertJob);
            AddParameters(cmd.Parameters, p.Job);
            b.BatchCommands.Add(cmd);
        }
        await b.PrepareAsync();
        var results = new (long, long)?[batch.Count];
        await using (var r = await b.ExecuteReaderAsync())
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (i > 0) await r.NextResultAsync();
                if (await r.ReadAsync()) results[i] = (r.GetInt64(0), r.GetInt64(1));
            }
        }
        await tx.CommitAsync();
        return results;
    }

    private static void AddParameters(NpgsqlParameterCollection p, Job job)
    {
        p.Add(new NpgsqlParameter<Guid>("id", job.Id));
        p.Add(new NpgsqlParameter<Guid>("ws", job.WorkspaceId));
        p.Add(new NpgsqlParameter("user", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)job.CreatedByUserId ?? DBNull.Value });
        p.Add(new NpgsqlParameter<string>("pipeline", job.PipelineId));
        p.Add(new NpgsqlParameter<string>("options", job.OptionsJson));
        p.Add(new NpgsqlParameter<string>("inputs", job.InputsJson));
        p.Add(new NpgsqlParameter<int>("priority", job.Priority));
        p.Add(new NpgsqlParameter<int>("max_attempts", job.MaxAttempts));
        p.Add(new NpgsqlParameter<int>("timeout", job.TimeoutSeconds));
        p.Add(new NpgsqlParameter<long>("amount", job.CostEstimate));
        p.Add(new NpgsqlParameter("key", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)job.IdempotencyKey ?? DBNull.Value });
        p.Add(new NpgsqlParameter("request_hash", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)job.RequestHash ?? DBNull.Value });
        p.Add(new NpgsqlParameter("trace", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)job.TraceParent ?? DBNull.Value });
        p.Add(new NpgsqlParameter<string>("hold_key", CreditsLedger.JobKey(job.Id, LedgerEntryKind.Hold)));
        p.Add(new NpgsqlParameter<DateTime>("now", job.CreatedAt));
        p.Add(new NpgsqlParameter<string>("queued_json", QueuedEventJson));
    }

    /// <summary>The "queued" status event's data, as JobEvents writes it on the EF path.</summary>
    private static readonly string QueuedEventJson = JobEvents.Data(new { status = "queued" });

    private sealed class Pending(Job job)
    {
        public Job Job { get; } = job;
        public TaskCompletionSource<(long Posted, long Held)?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

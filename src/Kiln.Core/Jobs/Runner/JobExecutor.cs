using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Jobs.Queue;
using Kiln.Core.Pipelines;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Runner;

/// <summary>Runs one claimed attempt of a job: inputs in, pipeline, artifacts out, fenced completion.</summary>
public sealed class JobExecutor(IServiceScopeFactory scopes, PipelineCatalog catalog, IBlobStore blobs, AttemptLeftovers leftovers, CompletionBatcher completions,
    IOptions<WorkerOptions> workerOptions, IOptions<JobsOptions> jobsOptions, ILoggerFactory loggers, ILogger<JobExecutor> log)
{
    /// <param name="slot">The runner's slot this attempt holds; on success the completion batcher may take it over and refill it.</param>
    public async Task RunAsync(Job job, string workerId, CancellationToken handBack, SlotTicket? slot = null)
    {
        var lease = job.LeaseToken ?? throw new InvalidOperationException("A claimed job has a lease.");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(handBack);
        var state = new RunState();
        var scratch = Path.Combine(workerOptions.Value.ScratchPath, $"{job.Id:N}-a{job.Attempt}");
        var attemptPrefix = AttemptLeftovers.AttemptPrefix(job.WorkspaceId, job.Id, job.Attempt);
        var clock = Stopwatch.StartNew();
        var outcomeLabel = "failed";
        // The attempt continues the trace of the request that created the job (stored with it as a W3C traceparent).
        using var activity = ActivityContext.TryParse(job.TraceParent, null, out var parent)
            ? KilnMetrics.ActivitySource.StartActivity("job attempt", ActivityKind.Consumer, parent)
            : KilnMetrics.ActivitySource.StartActivity("job attempt", ActivityKind.Consumer);
        activity?.SetTag("kiln.job.id", job.Id.ToString());
        activity?.SetTag("kiln.job.pipeline", job.PipelineId);
        activity?.SetTag("kiln.job.attempt", job.Attempt);
        activity?.SetTag("kiln.worker.id", workerId);
        using var _ = log.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id, ["Attempt"] = job.Attempt });
        log.LogInformation("Running job {JobId} ({Pipeline}), attempt {Attempt} on {Worker}", job.Id, job.PipelineId, job.Attempt, workerId);

        // The pipeline host counts this attempt's AI calls too (for the job log); this scope keeps them for the database.
        // A root scope: this flow may have been inherited from the job that ran in the slot before.
        using var aiUsage = Ai.AiUsageScope.BeginRoot();
        var heartbeat = HeartbeatLoop(job.Id, lease, state, stop);
        var artifacts = new ArtifactCollector(blobs, attemptPrefix);
        try
        {
            await leftovers.ClaimAsync(attemptPrefix);
            var pipeline = catalog.Find(job.PipelineId)
                ?? throw new PipelineException("unknown_pipeline", $"The pipeline '{job.PipelineId}' is not installed on this worker.");
            // The scratch directory is made on the pipeline's first use of it (PipelineContext.ScratchDirectory).
            if (job.TimeoutSeconds > 0) stop.CancelAfter(TimeSpan.FromSeconds(job.TimeoutSeconds));

            // Stored options were validated when the job was created; a pipeline whose options changed shape since
            // then refuses them here with the same readable error.
            var options = pipeline.ParseOptions(JsonDocument.Parse(job.OptionsJson).RootElement);
            if (options.Error is { } optionsError) throw new PipelineException(optionsError.Code, optionsError.Message);
            await using var reporter = new QueueReporter(scopes, job, lease);
            await using var attemptScope = scopes.CreateAsyncScope();
            var inputs = job.InputsJson is "[]" ? InputSet<PipelineInput>.Empty : await DownloadInputsAsync(job, pipeline.Descriptor, scratch, stop.Token);
            var context = new PipelineContext
            {
                JobId = job.Id, WorkspaceId = job.WorkspaceId, UserId = job.CreatedByUserId, Inputs = inputs, Options = options.Value!,
                ScratchDirectory = scratch, Reporter = reporter, Artifacts = artifacts, Services = attemptScope.ServiceProvider,
                Logger = loggers.CreateLogger($"Kiln.Pipelines.{job.PipelineId}"),
                Checkpoints = new BlobCheckpointStore(blobs, job.WorkspaceId, job.Id),
                Subtasks = reporter, Attempt = Math.Max(1, job.Attempt), MaxAttempts = job.MaxAttempts,
            };
            var outcome = await PipelineHost.RunAsync(pipeline, context, stop.Token);

            if (await completions.SucceedAsync(job, lease, outcome.ActualCost ?? job.CostEstimate, artifacts.Records, slot))
            {
                outcomeLabel = "succeeded";
                // Best effort, never an exception: the job has succeeded, and a failure here must not reach the failure
                // handling below (which would delete this attempt's artifacts). What fails is retried by the rescuer.
                for (var a = 1; a < job.Attempt; a++)
                    await leftovers.DeleteBlobsAsync(AttemptLeftovers.AttemptPrefix(job.WorkspaceId, job.Id, a));
                await leftovers.DeleteBlobsAsync(AttemptLeftovers.CheckpointPrefix(job.WorkspaceId, job.Id));
            }
            else
            {
                outcomeLabel = "lease_lost";
                log.LogWarning("Job {JobId}: lease lost before completion; discarding this attempt's results", job.Id);
                await leftovers.DeleteBlobsAsync(attemptPrefix);
            }
        }
        // Only our own token means timeout, cancel or hand-back; a library's own cancellation (an HTTP client timing out) is a
        // failure like any other and goes to the general handler below (retried as transient).
        catch (Exception) when (stop.IsCancellationRequested)
        {
            await using var scope = scopes.CreateAsyncScope();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            await leftovers.DeleteBlobsAsync(attemptPrefix);
            if (state.LeaseLost) outcomeLabel = "lease_lost";
            else if (state.CancelRequested) { outcomeLabel = "canceled"; await queue.CanceledAsync(job, lease, CancellationToken.None); }
            else if (handBack.IsCancellationRequested) { outcomeLabel = "handed_back"; await queue.HandBackAsync(job, lease, CancellationToken.None); }
            else
            {
                await queue.FailAsync(job, lease, "timeout", $"The job took longer than its {job.TimeoutSeconds} s limit and was stopped.", transient: false, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            // Inputs are read outside the pipeline, so the storage outage is classified here too.
            var (code, message, transient) = (ex is BlobStoreUnavailableException ? PipelineHost.Classify(ex)! : ex) switch
            {
                PipelineException p => (p.Code, p.Message, p.Transient),
                _ => ("internal_error", "The pipeline failed unexpectedly. The operators have the details in the logs.", true),
            };
            if (ex is not (PipelineException or BlobStoreUnavailableException)) log.LogError(ex, "Job {JobId} failed unexpectedly", job.Id);
            else log.LogInformation("Job {JobId} failed: {Code} {Message}", job.Id, code, message);
            await leftovers.DeleteBlobsAsync(attemptPrefix);
            await using var scope = scopes.CreateAsyncScope();
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            if (code == JobQueue.StorageUnavailable)
            {
                outcomeLabel = "storage_unavailable";
                await queue.WaitForStorageAsync(job, lease, message, CancellationToken.None);
            }
            else await queue.FailAsync(job, lease, code, message, transient, CancellationToken.None);
        }
        finally
        {
            state.Done = true;
            await stop.CancelAsync();
            await heartbeat;
            await RecordAiUsageAsync(job, aiUsage);
            TryDelete(scratch);
            activity?.SetTag("kiln.job.outcome", outcomeLabel);
            if (outcomeLabel == "failed") activity?.SetStatus(ActivityStatusCode.Error);
            KilnMetrics.JobDuration.Record(clock.Elapsed.TotalSeconds, new("pipeline", job.PipelineId), new("outcome", outcomeLabel));
            if (outcomeLabel is "succeeded" or "failed" or "canceled")
                KilnMetrics.JobsFinished.Add(1, new("pipeline", job.PipelineId), new("status", outcomeLabel));
        }
    }

    /// <summary>What the providers were paid for this attempt, whatever its outcome (a failed attempt's calls were paid too).</summary>
    private async Task RecordAiUsageAsync(Job job, Ai.AiUsageScope usage)
    {
        var byModel = usage.ByModel();
        if (byModel.Count == 0) return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Ai.RecordJobAiUsageCommand>().Run(job.Id, job.WorkspaceId, job.Attempt, byModel, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.LogWarning(ex, "Could not store the AI usage of job {JobId}", job.Id);
        }
    }

    private async Task HeartbeatLoop(Guid jobId, Guid lease, RunState state, CancellationTokenSource stop)
    {
        var interval = TimeSpan.FromSeconds(jobsOptions.Value.HeartbeatSeconds);
        while (!state.Done)
        {
            // Most attempts end before their first beat: stop without throwing (an exception per job is measurable at
            // a thousand jobs a second).
            await Task.Delay(interval, stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stop.IsCancellationRequested) return;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var beat = await scope.ServiceProvider.GetRequiredService<JobQueue>().HeartbeatAsync(jobId, lease, CancellationToken.None);
                if (beat is null) { state.LeaseLost = true; await stop.CancelAsync(); return; }
                if (beat.Value) { state.CancelRequested = true; await stop.CancelAsync(); return; }
            }
            catch (Exception ex) { log.LogWarning(ex, "Heartbeat for job {JobId} failed", jobId); }
        }
    }

    private async Task<InputSet<PipelineInput>> DownloadInputsAsync(Job job, PipelineDescriptor descriptor, string scratch, CancellationToken ct)
    {
        var defaultSlot = SlotBinding.DefaultSlot(descriptor)?.Name ?? "";
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDbContext>();
        var inputs = new List<PipelineInput>();
        var dir = Directory.CreateDirectory(Path.Combine(scratch, "input")).FullName;
        foreach (var input in JobInput.Parse(job.InputsJson))
        {
            var upload = await db.Uploads.IgnoreQueryFilters().AsNoTracking()
                .FirstOrDefaultAsync(u => u.Id == input.UploadId && u.WorkspaceId == job.WorkspaceId, ct)
                ?? throw new PipelineException("input_missing", "An input file of this job no longer exists.");
            var safeName = string.Concat(upload.FileName.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
            // Each input in a folder of its own keeps its file name (what `kiln run` passes too) without two inputs colliding.
            var path = Path.Combine(Directory.CreateDirectory(Path.Combine(dir, inputs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName, safeName);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var source = await blobs.OpenReadAsync(upload.BlobKey, ct))
            await using (var file = File.Create(path))
                await Storage.LocalDiskBlobStore.CopyLimitedAsync(source, file, long.MaxValue, ct, chunk => sha.AppendData(chunk.Span));
            // The object must be the one validated at completion (an S3 presigned PUT stays valid after it).
            if (upload.Sha256 is { } expected && !string.Equals(Convert.ToHexStringLower(sha.GetHashAndReset()), expected, StringComparison.Ordinal))
            {
                var changed = Uploads.UploadErrors.InputChanged(upload.FileName);
                throw new PipelineException(changed.Code, changed.Message);
            }
            var slot = input.Slot ?? defaultSlot;
            inputs.Add(new PipelineInput(slot, path, InputFacts.From(slot, upload.Kind ?? "", upload.FileName, upload.Size ?? 0, upload.MetadataJson)));
        }
        return new InputSet<PipelineInput>(inputs);
    }

    private void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (Exception ex) { log.LogWarning(ex, "Could not delete scratch directory {Dir}", dir); }
    }

    private sealed class RunState
    {
        public volatile bool Done;
        public volatile bool LeaseLost;
        public volatile bool CancelRequested;
    }

    /// <summary>Reports progress through the fenced queue; repeated identical progress is not written again.</summary>
    private sealed class QueueReporter(IServiceScopeFactory scopes, Job job, Guid lease) : IPipelineReporter, ISubtaskReporter, IAsyncDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private (int, string, string?) _last = (-1, "", null);
        private AsyncServiceScope? _scope;
        private JobQueue? _queue;

        // The scope (and its DbContext) is made on first use: most instant pipelines never report.
        private JobQueue queue => _queue ??= (_scope = scopes.CreateAsyncScope()).Value.ServiceProvider.GetRequiredService<JobQueue>();

        public async ValueTask DisposeAsync()
        {
            if (_scope is { } s) await s.DisposeAsync();
            _gate.Dispose();
        }

        public async Task ProgressAsync(int percent, string step, string? message, CancellationToken ct)
        {
            await _gate.WaitAsync(ct);
            try
            {
                if (_last == (percent, step, message)) return;
                _last = (percent, step, message);
                await queue.ProgressAsync(job, lease, percent, step, message, ct);
            }
            finally { _gate.Release(); }
        }

        public async Task LogAsync(string line, CancellationToken ct)
        {
            await _gate.WaitAsync(ct);
            try { await queue.LogAsync(job, lease, line, ct); }
            finally { _gate.Release(); }
        }

        public async Task ReportAsync(SubtaskUpdate update, CancellationToken ct)
        {
            await _gate.WaitAsync(ct);
            try { await queue.SubtaskAsync(job, lease, update, ct); }
            finally { _gate.Release(); }
        }

        public async Task<IReadOnlyDictionary<string, SubtaskUpdate>> ExistingAsync(CancellationToken ct)
        {
            await _gate.WaitAsync(ct);
            try { return await queue.SubtasksAsync(job.Id, ct); }
            finally { _gate.Release(); }
        }
    }

    /// <summary>Stores artifacts under this attempt's prefix; they become visible only when the job succeeds.</summary>
    private sealed class ArtifactCollector(IBlobStore blobs, string prefix) : IArtifactSink
    {
        private readonly List<ArtifactRecord> _records = [];
        public IReadOnlyList<ArtifactRecord> Records => _records;

        public async Task AddAsync(string name, string contentType, string localPath, CancellationToken ct)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
                throw new ArgumentException($"Invalid artifact name '{name}'.", nameof(name));
            if (_records.Any(r => r.Name == name)) throw new InvalidOperationException($"Artifact '{name}' was already added.");
            string sha;
            await using (var f = File.OpenRead(localPath)) sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(f, ct));
            var key = prefix + name;
            long size;
            await using (var f = File.OpenRead(localPath))
            {
                size = f.Length;
                await blobs.PutAsync(key, f, contentType, ct);
            }
            _records.Add(new ArtifactRecord(name, contentType, size, key, sha));
        }
    }
}

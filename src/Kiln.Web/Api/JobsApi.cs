using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Storage;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Api;

public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("/estimate", Estimate).WithSummary("Validate a job request and return its cost estimate and the balance after it.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        jobs.MapPost("/", Create).LimitPerWorkspace("jobs", o => o.JobsPerMinute).WithSummary("Create a job. Holds its estimated cost; answers 402 insufficient_credits and creates nothing when the balance is short. Send Idempotency-Key to make retries safe.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        jobs.MapGet("/", List).WithSummary("List the workspace's jobs, newest first, filtered by status and pipeline.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        jobs.MapGet("/{id:guid}", Get).WithSummary("Get one job.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id:guid}/cancel", Cancel).LimitPerWorkspace("jobs", o => o.JobsPerMinute).WithSummary("Cancel a queued or running job; its hold is released.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapPost("/{id:guid}/retry", Retry).LimitPerWorkspace("jobs", o => o.JobsPerMinute).WithSummary("Run a failed or canceled job again as a new job (same inputs and options, a new hold).")
            .ProducesProblem(StatusCodes.Status402PaymentRequired).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("/{id:guid}/events", Events).WithSummary("Stream the job's events as Server-Sent Events; resumes after Last-Event-ID.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream") // written to the response as it happens, so no typed result
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id:guid}/artifacts", Artifacts).WithSummary("List the job's artifacts with short-lived signed download URLs.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapDelete("/{id:guid}/artifacts", DeleteArtifacts).WithSummary("Delete a finished job's files now instead of waiting for retention.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("/{id:guid}/artifacts/{artifactId:guid}/download", Download).WithSummary("Redirect to a short-lived signed download URL of one artifact.")
            .Produces(StatusCodes.Status302Found) // RedirectHttpResult declares no metadata of its own
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id:guid}/artifacts/{artifactId:guid}/single-use-link", CreateSingleUseLink).LimitPerWorkspace("jobs", o => o.JobsPerMinute)
            .WithSummary("Make a download link for one artifact that works exactly once (then answers 410 link_used) and expires unused after Kiln:Jobs:SingleUseLinkHours. The URL is shown only in this response.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<EstimateDto>, ProblemHttpResult>> Estimate(JobRequest request, CurrentUser user, PlanJobQuery planner, GetBalanceQuery balance, CancellationToken ct)
    {
        var plan = await planner.Run(user.Workspace, request, ct);
        if (plan.Error is { } e) return Problems.From(e);
        var b = await balance.Run(user.Workspace, ct);
        var cost = plan.Value!.Plan.EstimatedCost;
        var estimate = plan.Value.Plan.Estimate;
        return TypedResults.Ok(new EstimateDto(plan.Value.Pipeline.Descriptor.Id, cost, b.Available, b.Available - cost, b.Available >= cost, plan.Value.Plan.OptionsJson,
            estimate.Lines.Select(l => new PriceLineDto(l.Meter, l.Label, l.Quantity, l.UnitPrice, l.Credits)).ToList(), estimate.MinimumApplied));
    }

    private static async Task<Results<Created<JobDto>, Ok<JobDto>, ProblemHttpResult>> Create(JobRequest request, CurrentUser user, CreateJobCommand create,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, CancellationToken ct)
    {
        var result = await create.Run(user.Workspace, user.UserId, request, idempotencyKey, ct);
        if (result.Error is { } e) return Problems.From(e);
        var dto = JobDto.From(result.Value!.Job);
        if (!result.Value.Existing) KilnMetricsWeb.JobCreated(dto.Pipeline);
        return result.Value.Existing ? TypedResults.Ok(dto) : TypedResults.Created($"/api/jobs/{dto.Id}", dto);
    }

    private static async Task<Results<Ok<Paged<JobDto>>, ProblemHttpResult>> List(CurrentUser user, ListJobsQuery query, string? status, string? pipeline, int? page, int? pageSize, CancellationToken ct)
    {
        JobStatus? s = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!EnumNames.TryParse<JobStatus>(status, out var parsed))
                return Problems.From(Core.Common.Error.Invalid("invalid_status", $"status is one of {string.Join(", ", EnumNames.All<JobStatus>())}."));
            s = parsed;
        }
        var p = await query.Run(user.Workspace, s, pipeline, page ?? 1, pageSize ?? 20, ct);
        return TypedResults.Ok(new Paged<JobDto>(p.Items.Select(JobDto.From).ToList(), p.Page, p.PageSize, p.Total));
    }

    /// <summary>
    /// The call scripts poll. A fresh copy from this process's <see cref="JobStatusCache"/> answers without building a
    /// DbContext (the reads are resolved only on a miss); the copy is dropped by the job's next event and expires after
    /// <c>Kiln:Jobs:StatusCacheSeconds</c>. Another workspace's id is never served from it: the caller's own read 404s.
    /// </summary>
    private static async Task<Results<Ok<JobDto>, ProblemHttpResult>> Get(Guid id, CurrentUser user, TenantScope scope, JobStatusCache cache, HttpContext http, CancellationToken ct)
    {
        if (cache.TryGet<JobDto>(id, user.Workspace, scope.PrivateToUserId, out var cached)) return TypedResults.Ok(cached);
        var stamp = cache.Stamp(id);
        var services = http.RequestServices;
        if (await services.GetRequiredService<GetJobQuery>().Run(user.Workspace, id, ct) is not { } job) return Problems.NotFound("Job");
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var dto = JobDto.From(job).WithSubtasks(await services.GetRequiredService<ListSubtasksQuery>().Run(user.Workspace, id, ct)) with
        {
            WaitingFor = await services.GetRequiredService<GetWorkerWaitQuery>().Run(job, ct),
            EstimatedCompletion = CompletionEstimate.Of(job, now),
            OutputsExpireAt = OutputExpiry.Of(job, services.GetRequiredService<Kiln.Core.Pipelines.PipelineCatalog>()),
        };
        cache.Store(id, stamp, JobVisibility.Of(job), dto);
        return TypedResults.Ok(dto);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteArtifacts(Guid id, CurrentUser user, DeleteJobArtifactsCommand delete, CancellationToken ct) =>
        (await delete.Run(user.Workspace, id, ct)).Error is { } e ? Problems.From(e) : TypedResults.NoContent();

    private static async Task<Results<Ok<JobDto>, ProblemHttpResult>> Cancel(Guid id, CurrentUser user, CancelJobCommand cancel, CancellationToken ct) =>
        Problems.Map(await cancel.Run(user.Workspace, id, ct), j => TypedResults.Ok(JobDto.From(j)));

    private static async Task<Results<Created<JobDto>, ProblemHttpResult>> Retry(Guid id, CurrentUser user, RetryJobCommand retry, CancellationToken ct) =>
        Problems.Map(await retry.Run(user.Workspace, id, user.UserId, ct), c => TypedResults.Created($"/api/jobs/{c.Job.Id}", JobDto.From(c.Job)));

    private static async Task<Results<Ok<List<ArtifactDto>>, ProblemHttpResult>> Artifacts(Guid id, CurrentUser user, GetJobQuery jobs, ListArtifactsQuery artifacts, IBlobStore blobs, CancellationToken ct)
    {
        if (await jobs.Run(user.Workspace, id, ct) is null) return Problems.NotFound("Job");
        var list = await artifacts.Run(user.Workspace, id, ct);
        return TypedResults.Ok(list.Select(a => new ArtifactDto(a.Id, a.Name, a.ContentType, a.Size, a.Sha256, a.CreatedAt,
            blobs.GetDownloadUrl(a.BlobKey, a.Name, a.ContentType, TimeSpan.FromMinutes(15)).AbsoluteUri)).ToList());
    }

    private static async Task<Results<RedirectHttpResult, ProblemHttpResult>> Download(Guid id, Guid artifactId, CurrentUser user, ListArtifactsQuery artifacts, IBlobStore blobs, CancellationToken ct)
    {
        var a = await artifacts.One(user.Workspace, id, artifactId, ct);
        return a is null ? Problems.NotFound("Artifact") : TypedResults.Redirect(blobs.GetDownloadUrl(a.BlobKey, a.Name, a.ContentType, TimeSpan.FromMinutes(5)).AbsoluteUri);
    }

    private static async Task<Results<Created<SingleUseLinkDto>, ProblemHttpResult>> CreateSingleUseLink(Guid id, Guid artifactId, HttpContext http, CurrentUser user,
        Core.Jobs.Links.CreateSingleUseLinkCommand create, CancellationToken ct)
    {
        var result = await create.Run(user.Workspace, user.UserId, id, artifactId, ct);
        if (result.Error is { } e) return Problems.From(e);
        var link = result.Value!;
        var url = new Uri(new Uri($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/"), link.Path.TrimStart('/'));
        return TypedResults.Created(url, new SingleUseLinkDto(link.Id, url.AbsoluteUri, link.ExpiresAt));
    }

    /// <summary>Server-Sent Events from the job's event log, woken by the live channel (see <see cref="EventsApi"/>).</summary>
    private static Task Events(Guid id, HttpContext http, CurrentUser user, GetJobQuery jobs, Core.Jobs.Events.LiveEventsQuery live,
        Core.Jobs.Events.EventHub hub, Microsoft.Extensions.Options.IOptions<Core.Jobs.Events.EventsOptions> options, TimeProvider clock) =>
        EventsApi.Job(id, http, user, jobs, live, hub, options, clock);
}

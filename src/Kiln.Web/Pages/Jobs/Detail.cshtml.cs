using Kiln.Core.Common;
using System.Text;
using System.Text.Json;
using Kiln.Core.Jobs;
using Kiln.Core.Storage;
using Kiln.Web.Queries;
using Markdig;
using Microsoft.AspNetCore.Html;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Jobs;

public sealed record ArtifactView(Artifact Artifact, string Preview, IHtmlContent? Html, string? Text);

public sealed class DetailModel(GetJobQuery jobs, JobEvents events, ListArtifactsQuery artifacts, CancelJobCommand cancel,
    RetryJobCommand retry, UsageQueries usage, IBlobStore blobs, GetWorkerWaitQuery workerWait, ListSubtasksQuery subtasks,
    DeleteJobArtifactsCommand deleteArtifacts, Kiln.Core.Pipelines.PipelineCatalog pipelines, TimeProvider clock,
    Kiln.Core.Jobs.Links.CreateSingleUseLinkCommand singleUseLinks) : KilnPageModel
{
    private const int PreviewBytes = 256 * 1024;
    // Raw HTML in Markdown is disabled: artifacts are model output, and rendering it verbatim would be stored XSS.
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();
    // Relaxed escaping only affects display: Razor HTML-encodes the text anyway, and "It\u0027s" is unreadable.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Job Job { get; private set; } = null!;
    public JobCosts Costs { get; private set; } = null!;
    public IReadOnlyList<string> Log { get; private set; } = [];
    public long LastEventId { get; private set; }
    public IReadOnlyList<ArtifactView> Artifacts { get; private set; } = [];
    /// <summary>Per-part progress (dubbing's languages); empty for other jobs.</summary>
    public IReadOnlyList<JobSubtask> Subtasks { get; private set; } = [];
    /// <summary>When the pipeline's retention deletes the files, and how long that is from now.</summary>
    public DateTime? OutputsExpireAt { get; private set; }
    public TimeSpan? OutputsLeft { get; private set; }
    /// <summary>Why a queued job is not starting, when no live worker can run its pipeline.</summary>
    public string? WaitingFor { get; private set; }

    /// <summary>Under per-member privacy, whether the caller (its creator, an owner or an admin) may share the job with the workspace.</summary>
    public bool CanShare { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, [FromServices] Kiln.Core.Accounts.GetMembershipQuery memberships, CancellationToken ct)
    {
        var log = new List<string>();
        var after = 0L;
        // The page shows the log so far; the browser's EventSource continues after LastEventId. The log is read before
        // the job: a job read first could finish in between, and its final status event would then lie before
        // LastEventId, so the page would show "running" and never hear otherwise. (A foreign id reads no events.)
        for (var i = 0; i < 10; i++)
        {
            var batch = await events.After(Workspace, id, after, 500, ct);
            foreach (var e in batch)
            {
                after = e.Id;
                if (e.Type == JobEventTypes.Log && JsonDocument.Parse(e.DataJson).RootElement.TryGetProperty("line", out var line)) log.Add(line.GetString() ?? "");
            }
            if (batch.Count < 500) break;
        }
        Log = log.TakeLast(1000).ToList();
        LastEventId = after;
        var job = await jobs.Run(Workspace, id, ct);
        if (job is null) return NotFoundPage();
        Job = job;
        CanShare = await memberships.WorkspaceAsync(Workspace, ct) is { MemberPrivacy: true }
            && !Me.IsApiKey && (Me.Caller.Administers || job.CreatedByUserId == Me.UserId);
        WaitingFor = await workerWait.Run(job, ct);
        Costs = await usage.CostsOf(job, ct);
        Subtasks = await subtasks.Run(Workspace, id, ct);
        OutputsExpireAt = OutputExpiry.Of(job, pipelines);
        if (OutputsExpireAt is { } at) OutputsLeft = at - clock.GetUtcNow().UtcDateTime;
        var views = new List<ArtifactView>();
        foreach (var a in await artifacts.Run(Workspace, id, ct)) views.Add(await PreviewAsync(a, ct));
        Artifacts = views;
        return Page();
    }

    public async Task<IActionResult> OnPostCancelAsync(Guid id, CancellationToken ct)
    {
        var result = await cancel.Run(Workspace, id, ct);
        if (result.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = result.Error is { } e ? e.Message
            : result.Value!.Status == JobStatus.Canceled ? "Job canceled; its held credits were released." : "Cancel requested; the job stops within a few seconds.";
        return Redirect($"/jobs/{id}");
    }

    public async Task<IActionResult> OnPostDeleteFilesAsync(Guid id, CancellationToken ct)
    {
        var result = await deleteArtifacts.Run(Workspace, id, ct);
        if (result.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = result.Error is { } e ? e.Message : $"Deleted {result.Value} file(s).";
        return Redirect($"/jobs/{id}");
    }

    /// <summary>Makes a single-use link for one file and shows it once, beside that file (the token is not kept).</summary>
    public async Task<IActionResult> OnPostSingleUseLinkAsync(Guid id, Guid artifactId, CancellationToken ct)
    {
        var result = await singleUseLinks.Run(Workspace, Me.UserId, id, artifactId, ct);
        if (result.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        var link = result.Value!;
        // One string: TempData turns a value that parses as a Guid or a date back into that type.
        TempData["SingleUseLink"] = $"{artifactId}|{Kiln.Web.Ui.Format.Iso(link.ExpiresAt)}|{Request.Scheme}://{Request.Host}{Request.PathBase}{link.Path}";
        return Redirect($"/jobs/{id}#artifact-{artifactId}");
    }

    public async Task<IActionResult> OnPostShareAsync(Guid id, bool shared, [FromServices] Kiln.Core.Privacy.ShareCommand share, CancellationToken ct)
    {
        var result = await share.Run(Me.Caller, Kiln.Core.Privacy.ShareableKind.Job, id, shared, ct);
        if (result.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = result.Error?.Message ?? (shared ? "Every member of the workspace can see this job now." : "Only you, owners and admins see this job now.");
        return Redirect($"/jobs/{id}");
    }

    /// <summary>The whole finished job goes now: files, events and row (the ledger keeps its entries).</summary>
    public async Task<IActionResult> OnPostDeleteJobAsync(Guid id, [FromServices] Kiln.Core.Privacy.DeleteJobCommand delete, CancellationToken ct)
    {
        var result = await delete.Run(Me.Caller, id, ct);
        if (result.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        if (result.Error is { } e) { TempData["Flash"] = e.Message; return Redirect($"/jobs/{id}"); }
        TempData["Flash"] = "Job deleted with its files.";
        return Redirect("/jobs");
    }

    public async Task<IActionResult> OnPostRetryAsync(Guid id, CancellationToken ct)
    {
        var result = await retry.Run(Workspace, id, Me.UserId, ct);
        if (result.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        if (result.Error is { } e)
        {
            TempData["Flash"] = e.Message;
            return Redirect($"/jobs/{id}");
        }
        TempData["Flash"] = "Running the job again with the same input and options.";
        return Redirect($"/jobs/{result.Value!.Job.Id}");
    }

    private async Task<ArtifactView> PreviewAsync(Artifact a, CancellationToken ct)
    {
        var type = a.ContentType.Split(';')[0].Trim().ToLowerInvariant();
        var ext = Path.GetExtension(a.Name).ToLowerInvariant();
        if (type.StartsWith("audio/", StringComparison.Ordinal)) return new ArtifactView(a, "audio", null, null);
        var kind = ext is ".md" or ".markdown" || type == "text/markdown" ? "markdown"
            : ext == ".json" || type == "application/json" ? "json"
            : type.StartsWith("text/", StringComparison.Ordinal) || ext is ".txt" or ".srt" or ".vtt" ? "text" : null;
        if (kind is null || a.Size > PreviewBytes * 4) return new ArtifactView(a, "none", null, null);
        string text;
        try
        {
            await using var stream = await blobs.OpenReadAsync(a.BlobKey, ct);
            var buffer = new byte[PreviewBytes];
            var read = await stream.ReadAtLeastAsync(buffer, PreviewBytes, throwOnEndOfStream: false, ct);
            text = Encoding.UTF8.GetString(buffer, 0, read);
            if (read == PreviewBytes && kind != "text") kind = "text";
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return new ArtifactView(a, "none", null, null);
        }
        return kind switch
        {
            "markdown" => new ArtifactView(a, kind, new HtmlString(Markdig.Markdown.ToHtml(text, Markdown)), null),
            "json" => new ArtifactView(a, kind, null, Pretty(text)),
            _ => new ArtifactView(a, "text", null, text),
        };
    }

    private static string Pretty(string json)
    {
        try { return JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, Indented); }
        catch (JsonException) { return json; }
    }
}

using System.Text.Json;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Pipelines;
using Kiln.Core.Uploads;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Jobs;

public sealed record Estimate(long Cost, long Available, bool Affordable, IReadOnlyList<PriceLine> Lines, long? MinimumApplied)
{
    public long After => Available - Cost;
}

/// <summary>
/// Pick a pipeline, upload or link a file, configure, see the price, start. Without JavaScript the same form posts
/// back to fetch a linked file, for an estimate and to start; with it, uploads, link imports and the live estimate
/// happen in place.
/// </summary>
public sealed class NewModel(PipelineCatalog catalog, PlanJobQuery planner, CreateJobCommand create, GetBalanceQuery balance, ImportUploadFromUrlCommand import) : KilnPageModel
{
    public IReadOnlyList<PipelineDescriptor> Pipelines { get; private set; } = [];
    public PipelineDescriptor? Pipeline { get; private set; }
    public IReadOnlyList<OptionField> Fields { get; private set; } = [];
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> FieldErrors { get; private set; } = new(StringComparer.Ordinal);
    public Estimate? Estimate { get; private set; }
    public string? FormError { get; private set; }
    /// <summary>The Core error code behind <see cref="FormError"/>, so plan-limit errors can link to the pricing page.</summary>
    public string? FormErrorCode { get; private set; }
    public string? InsufficientMessage { get; private set; }
    public long Available { get; private set; }

    [BindProperty(SupportsGet = true)] public string? PipelineId { get; set; }
    [BindProperty] public Guid? UploadId { get; set; }
    [BindProperty] public string? RequestKey { get; set; }
    /// <summary>"…or paste a link": fetched server-side into an upload by the Import handler (or by Start when no file was given).</summary>
    [BindProperty] public string? SourceUrl { get; set; }
    public string? UrlError { get; private set; }
    /// <summary>The Core error code behind <see cref="UrlError"/>, so a plan limit can link to the pricing page.</summary>
    public string? UrlErrorCode { get; private set; }
    /// <summary>What the status line says about the file just fetched from a link.</summary>
    public string? ImportedMessage { get; private set; }

    public bool NeedsUpload => Pipeline is { AcceptedInputKinds.Count: > 0 };

    /// <summary>A pipeline of several optional inputs (study notes: a file, or a video link among its options) can start without a file.</summary>
    public bool UploadOptional => Pipeline is { Slots.Count: > 1 } p && !p.Slots.Any(s => s.Required);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Pipelines = catalog.All.Select(p => p.Descriptor).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        if (PipelineId is null) return Page();
        if (!Load()) return NotFoundPage();
        foreach (var f in Fields) if (f.Default is not null) Values[f.InputName] = f.Default;
        RequestKey = Guid.NewGuid().ToString("N");
        await EstimateAsync(OptionsForm.Bind(Fields, n => Values.GetValueOrDefault(n)), ct);
        return Page();
    }

    public async Task<IActionResult> OnPostEstimateAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        await EstimateAsync(BindPosted(), ct);
        return Page();
    }

    /// <summary>"Fetch file": imports the pasted link, then shows the options and estimate as after an upload.</summary>
    public async Task<IActionResult> OnPostImportAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        var options = BindPosted();
        // Enter in any field without JavaScript presses the first button, which is this one: with no link it is an estimate.
        if (NeedsUpload && !string.IsNullOrWhiteSpace(SourceUrl)) await ImportAsync(ct);
        await EstimateAsync(options, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        var options = BindPosted();
        Available = (await balance.Run(Workspace, ct)).Available;
        // A pasted link that was never fetched: fetch it now rather than asking for a second click.
        if (NeedsUpload && UploadId is null && !string.IsNullOrWhiteSpace(SourceUrl) && !await ImportAsync(ct))
        {
            await EstimateAsync(options, ct);
            return Page();
        }
        if (NeedsUpload && UploadId is null && !UploadOptional)
        {
            FormError = "Upload a file or paste a link to one first.";
            return Page();
        }
        var request = JobRequestFor(options);
        var key = RequestKey is { Length: > 0 and <= 64 } k ? $"ui:{k}" : null;
        var result = await create.Run(Workspace, Me.UserId, request, key, ct);
        if (result.Error is { } e)
        {
            await EstimateAsync(options, ct);
            if (e.Code == "insufficient_credits") InsufficientMessage = e.Message;
            else ShowError(e);
            return Page();
        }
        TempData["Flash"] = "Job started. Its cost is held until it finishes.";
        return Redirect($"/jobs/{result.Value!.Job.Id}");
    }

    private async Task<bool> ImportAsync(CancellationToken ct)
    {
        var result = await import.Run(Workspace, Me.UserId, SourceUrl, ct);
        if (result.Error is { } e)
        {
            (UrlError, UrlErrorCode) = (e.Message, e.Code);
            return false;
        }
        var upload = result.Value!;
        // The posted (empty) values would otherwise win over the new ones when the form is rendered again.
        ModelState.Remove(nameof(UploadId));
        ModelState.Remove(nameof(SourceUrl));
        UploadId = upload.Id;
        SourceUrl = null;
        ImportedMessage = $"{upload.FileName} is uploaded and ready ({upload.Kind}).";
        return true;
    }

    private bool Load()
    {
        Pipeline = PipelineId is null ? null : catalog.Find(PipelineId)?.Descriptor;
        if (Pipeline is null) return false;
        Fields = OptionsForm.Fields(Pipeline.OptionsSchema);
        return true;
    }

    private JsonElement BindPosted()
    {
        foreach (var f in Fields) if (Request.Form[f.InputName].ToString() is { Length: > 0 } v) Values[f.InputName] = v;
        return OptionsForm.Bind(Fields, n => Request.Form[n].ToString());
    }

    /// <summary>An error about one option is shown beside that field; any other above the form.</summary>
    private void ShowError(Kiln.Core.Common.Error e)
    {
        if (e.Extensions?.GetValueOrDefault("field") is string field && Fields.Any(f => f.Name == field))
        {
            FieldErrors[field] = e.Message;
            (FormError, FormErrorCode) = ("Fix the highlighted options.", e.Code);
        }
        else (FormError, FormErrorCode) = (e.Message, e.Code);
    }

    private async Task EstimateAsync(JsonElement options, CancellationToken ct)
    {
        Available = (await balance.Run(Workspace, ct)).Available;
        if (NeedsUpload && UploadId is null && !UploadOptional) return;
        var plan = await planner.Run(Workspace, JobRequestFor(options), ct);
        if (plan.Error is { } e) { if (FormError is null) ShowError(e); }
        else
        {
            var estimate = plan.Value!.Plan.Estimate;
            Estimate = new Estimate(estimate.Total, Available, Available >= estimate.Total, estimate.Lines, estimate.MinimumApplied);
        }
    }

    /// <summary>The file goes to the pipeline's default slot, or (several optional slots) to the one that takes its kind.</summary>
    private JobRequest JobRequestFor(JsonElement options) =>
        UploadId is not { } u ? new(Pipeline!.Id, null, options)
        : SlotBinding.DefaultSlot(Pipeline!) is { } slot ? new(Pipeline!.Id, null, options, Inputs: new Dictionary<string, UploadIds> { [slot.Name] = u })
        : new(Pipeline!.Id, [u], options);
}

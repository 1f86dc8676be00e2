using System.Text.Json;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Pipelines;
using Kiln.Web.Ui;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Jobs;

public sealed record Estimate(long Cost, long Available, bool Affordable)
{
    public long After => Available - Cost;
}

/// <summary>
/// Pick a pipeline, upload, configure, see the price, start. Without JavaScript the same form posts back for an
/// estimate and to start; with it, uploads and the live estimate are added on top.
/// </summary>
public sealed class NewModel(PipelineCatalog catalog, PlanJobQuery planner, CreateJobCommand create, GetBalanceQuery balance) : KilnPageModel
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

    public bool NeedsUpload => Pipeline is { AcceptedInputKinds.Count: > 0 };

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Pipelines = catalog.All.Select(p => p.Descriptor).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        if (PipelineId is null) return Page();
        if (!Load()) return NotFoundPage();
        foreach (var f in Fields) if (f.Default is not null) Values[f.InputName] = f.Default;
        RequestKey = Guid.NewGuid().ToString("N");
        var (options, _) = OptionsForm.Bind(Fields, n => Values.GetValueOrDefault(n));
        await EstimateAsync(options, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostEstimateAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        var (options, ok) = BindPosted();
        if (ok) await EstimateAsync(options, ct);
        else Available = (await balance.Run(Workspace, ct)).Available;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        var (options, ok) = BindPosted();
        Available = (await balance.Run(Workspace, ct)).Available;
        if (!ok) return Page();
        if (NeedsUpload && UploadId is null)
        {
            FormError = "Upload a file first.";
            return Page();
        }
        var request = new JobRequest(Pipeline!.Id, UploadId is { } u ? [u] : [], options);
        var key = RequestKey is { Length: > 0 and <= 64 } k ? $"ui:{k}" : null;
        var result = await create.Run(Workspace, Me.UserId, request, key, ct);
        if (result.Error is { } e)
        {
            await EstimateAsync(options, ct);
            if (e.Code == "insufficient_credits") InsufficientMessage = e.Message;
            else (FormError, FormErrorCode) = (e.Message, e.Code);
            return Page();
        }
        TempData["Flash"] = "Job started. Its cost is held until it finishes.";
        return Redirect($"/jobs/{result.Value!.Job.Id}");
    }

    private bool Load()
    {
        Pipeline = PipelineId is null ? null : catalog.Find(PipelineId)?.Descriptor;
        if (Pipeline is null) return false;
        Fields = OptionsForm.Fields(Pipeline.OptionsSchema);
        return true;
    }

    private (JsonElement Options, bool Ok) BindPosted()
    {
        foreach (var f in Fields) if (Request.Form[f.InputName].ToString() is { Length: > 0 } v) Values[f.InputName] = v;
        var (options, errors) = OptionsForm.Bind(Fields, n => Request.Form[n].ToString());
        FieldErrors = errors;
        if (errors.Count > 0) FormError = "Fix the highlighted options.";
        return (options, errors.Count == 0);
    }

    private async Task EstimateAsync(JsonElement options, CancellationToken ct)
    {
        Available = (await balance.Run(Workspace, ct)).Available;
        if (NeedsUpload && UploadId is null) return;
        var plan = await planner.Run(Workspace, new JobRequest(Pipeline!.Id, UploadId is { } u ? [u] : [], options), ct);
        if (plan.Error is { } e && FormError is null) (FormError, FormErrorCode) = (e.Message, e.Code);
        else Estimate = new Estimate(plan.Value!.Plan.EstimatedCost, Available, Available >= plan.Value.Plan.EstimatedCost);
    }
}

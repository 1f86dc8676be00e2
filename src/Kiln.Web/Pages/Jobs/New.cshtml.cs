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

/// <summary>One input slot as the form shows it: what was uploaded or fetched for it, and what to say beside it.</summary>
public sealed class SlotField(InputSlot slot)
{
    public InputSlot Slot { get; } = slot;
    public string Name => Slot.Name;
    public Guid? UploadId { get; set; }
    public string? Url { get; set; }
    /// <summary>The status line after a link was fetched on a post-back.</summary>
    public string? ImportedMessage { get; set; }
    public string? Error { get; set; }
    public string? ErrorCode { get; set; }
    public string Accept => string.Join(",", FileTypes.ExtensionsFor(Slot.Kinds));
    public string Kinds => string.Join(", ", Slot.Kinds);
    public string IdPrefix => "slot-" + Name;
    public string UploadInputName => "in." + Name;
    public string UrlInputName => "url." + Name;
}

/// <summary>
/// Pick a pipeline, give each of its input slots a file (uploaded) or a link (fetched), configure, see the price,
/// start. Without JavaScript the same form posts back to fetch a linked file, for an estimate and to start; with it,
/// uploads, link imports and the live estimate happen in place. Which inputs are required, and the errors about
/// them, come from <see cref="SlotBinding"/> through the planner: the page adds no rule of its own.
/// </summary>
public sealed class NewModel(PipelineCatalog catalog, PlanJobQuery planner, CreateJobCommand create, GetBalanceQuery balance, ImportUploadFromUrlCommand import) : KilnPageModel
{
    public IReadOnlyList<PipelineDescriptor> Pipelines { get; private set; } = [];
    public PipelineDescriptor? Pipeline { get; private set; }
    public IReadOnlyList<OptionField> Fields { get; private set; } = [];
    public IReadOnlyList<SlotField> Slots { get; private set; } = [];
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> FieldErrors { get; private set; } = new(StringComparer.Ordinal);
    public Estimate? Estimate { get; private set; }
    public string? FormError { get; private set; }
    /// <summary>The Core error code behind <see cref="FormError"/>, so plan-limit errors can link to the pricing page.</summary>
    public string? FormErrorCode { get; private set; }
    public string? InsufficientMessage { get; private set; }
    public long Available { get; private set; }

    [BindProperty(SupportsGet = true)] public string? PipelineId { get; set; }
    [BindProperty] public string? RequestKey { get; set; }
    /// <summary>For a pipeline that takes one of several inputs: the slot the user chose.</summary>
    [BindProperty] public string? InputChoice { get; set; }
    /// <summary>"Fetch file" beside a slot's link field names that slot.</summary>
    [BindProperty] public string? ImportSlot { get; set; }

    public bool NeedsUpload => Pipeline is { Slots.Count: > 0 };
    public bool IsChoice => Pipeline is not null && SlotBinding.IsChoice(Pipeline);
    private bool HasAnyInput => Slots.Any(s => s.UploadId is not null);
    /// <summary>Whether the planner can price the job yet: every required slot has a file (or, when all are optional, one has).</summary>
    private bool ReadyToPlan => Slots.Count == 0 || (Slots.Any(s => s.Slot.Required)
        ? Slots.Where(s => s.Slot.Required).All(s => s.UploadId is not null)
        : HasAnyInput || IsChoice);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Pipelines = catalog.All.Select(p => p.Descriptor).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        if (PipelineId is null) return Page();
        if (!Load()) return NotFoundPage();
        foreach (var f in Fields) if (f.Default is not null) Values[f.InputName] = f.Default;
        RequestKey = Guid.NewGuid().ToString("N");
        InputChoice = IsChoice ? Slots[0].Name : null;
        if (Slots.Count == 0 || Slots.All(s => !s.Slot.Required) && !IsChoice)
            await EstimateAsync(OptionsForm.Bind(Fields, n => Values.GetValueOrDefault(n)), ct);
        else Available = (await balance.Run(Workspace, ct)).Available;
        return Page();
    }

    public async Task<IActionResult> OnPostEstimateAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        await EstimateAsync(BindPosted(), ct);
        return Page();
    }

    /// <summary>"Fetch file": imports the link pasted for one slot, then shows the options and estimate as after an upload.</summary>
    public async Task<IActionResult> OnPostImportAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        var options = BindPosted();
        // Enter in any field without JavaScript presses the first button, which is a Fetch: with no link it is an estimate.
        var target = Slots.FirstOrDefault(s => s.Name == ImportSlot && !string.IsNullOrWhiteSpace(s.Url))
            ?? Slots.FirstOrDefault(s => !string.IsNullOrWhiteSpace(s.Url));
        if (target is not null) await ImportAsync(target, ct);
        await EstimateAsync(options, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!Load()) return NotFoundPage();
        var options = BindPosted();
        Available = (await balance.Run(Workspace, ct)).Available;
        // Links pasted but never fetched: fetch them now rather than asking for a second click.
        var fetched = true;
        foreach (var slot in Slots.Where(s => s.UploadId is null && !string.IsNullOrWhiteSpace(s.Url)))
            fetched &= await ImportAsync(slot, ct);
        if (!fetched)
        {
            await EstimateAsync(options, ct);
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

    private async Task<bool> ImportAsync(SlotField slot, CancellationToken ct)
    {
        var result = await import.Run(Workspace, Me.UserId, slot.Url, ct);
        if (result.Error is { } e)
        {
            (slot.Error, slot.ErrorCode) = (e.Message, e.Code);
            return false;
        }
        var upload = result.Value!;
        // The posted (empty) values would otherwise win over the new ones when the form is rendered again.
        ModelState.Remove(slot.UploadInputName);
        ModelState.Remove(slot.UrlInputName);
        ModelState.Remove(nameof(InputChoice));
        slot.UploadId = upload.Id;
        slot.Url = null;
        slot.ImportedMessage = $"{upload.FileName} is uploaded and ready ({upload.Kind}).";
        if (IsChoice) InputChoice = slot.Name;
        return true;
    }

    private bool Load()
    {
        Pipeline = PipelineId is null ? null : catalog.Find(PipelineId)?.Descriptor;
        if (Pipeline is null) return false;
        Fields = OptionsForm.Fields(Pipeline.OptionsSchema);
        Slots = Pipeline.Slots.Select(s => new SlotField(s)).ToList();
        return true;
    }

    private JsonElement BindPosted()
    {
        foreach (var f in Fields) if (Posted(f.InputName) is { Length: > 0 } v) Values[f.InputName] = v;
        foreach (var s in Slots)
        {
            s.UploadId = Guid.TryParse(Request.Form[s.UploadInputName].ToString(), out var id) ? id : null;
            s.Url = Request.Form[s.UrlInputName].ToString() is { Length: > 0 } url ? url : null;
        }
        if (IsChoice && Slots.All(s => s.Name != InputChoice)) InputChoice = Slots[0].Name;
        return OptionsForm.Bind(Fields, Posted);
    }

    /// <summary>A field's posted value. A checked box posts its hidden "false" and then "true": the last value is the answer.</summary>
    private string Posted(string name) => Request.Form[name] is { Count: > 0 } values ? values[^1] ?? "" : "";

    /// <summary>An error about one option or one input is shown beside that field; any other above the form.</summary>
    private void ShowError(Kiln.Core.Common.Error e)
    {
        if (e.Extensions?.GetValueOrDefault("field") is string field && Fields.Any(f => f.Name == field))
        {
            FieldErrors[field] = e.Message;
            (FormError, FormErrorCode) = ("Fix the highlighted options.", e.Code);
        }
        else if (e.Extensions?.GetValueOrDefault("slot") is string slotName && Slots.FirstOrDefault(s => s.Name == slotName) is { } slot)
        {
            (slot.Error, slot.ErrorCode) = (e.Message, e.Code);
            if (IsChoice) InputChoice = slot.Name;
        }
        else (FormError, FormErrorCode) = (e.Message, e.Code);
    }

    private async Task EstimateAsync(JsonElement options, CancellationToken ct)
    {
        Available = (await balance.Run(Workspace, ct)).Available;
        if (!ReadyToPlan || Slots.Any(s => s.Error is not null)) return;
        var plan = await planner.Run(Workspace, JobRequestFor(options), ct);
        if (plan.Error is { } e) { if (FormError is null) ShowError(e); }
        else
        {
            var estimate = plan.Value!.Plan.Estimate;
            Estimate = new Estimate(estimate.Total, Available, Available >= estimate.Total, estimate.Lines, estimate.MinimumApplied);
        }
    }

    /// <summary>Each slot's upload by name. When the pipeline takes one of several inputs, only the chosen slot's file is
    /// sent if it has one (a file picked for another choice before switching is left behind).</summary>
    private JobRequest JobRequestFor(JsonElement options)
    {
        var given = Slots.Where(s => s.UploadId is not null).ToList();
        if (IsChoice && given.FirstOrDefault(s => s.Name == InputChoice) is { } chosen) given = [chosen];
        return new(Pipeline!.Id, null, options,
            Inputs: given.Count == 0 ? null : given.ToDictionary(s => s.Name, s => (UploadIds)s.UploadId!.Value, StringComparer.Ordinal));
    }
}

using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Pipelines;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

public sealed record JobPlan(IPipeline Pipeline, PlannedJob Plan, IReadOnlyList<JobInput> Inputs);

/// <summary>
/// Resolves a request into a pipeline, its inputs by slot, validated options and the priced estimate — what both
/// the estimate endpoint and job creation need, so the number shown before starting is the number held.
/// </summary>
public sealed class PlanJobQuery(KilnDbContext db, PipelineCatalog catalog, GetPlanLimitsQuery plans)
{
    public async Task<Result<JobPlan>> Run(Guid workspaceId, JobRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Pipeline))
            return Error.Invalid("pipeline_required", "Choose a pipeline.");
        var pipeline = catalog.Find(request.Pipeline);
        if (pipeline is null)
            return Error.Invalid("unknown_pipeline", $"There is no pipeline called '{request.Pipeline}'.");
        var d = pipeline.Descriptor;
        var workspacePlan = await plans.Current(workspaceId, ct);
        if (!workspacePlan.Limits.AllowsPipeline(d.Id))
            return new Error("plan_pipeline_not_allowed", $"{d.Name} is not included in your plan. See the pricing page to upgrade.", ErrorKind.Forbidden);

        if (request.Options is { } o && o.ValueKind is not (System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined))
            return PipelineErrors.InvalidOptions(null, "type", "Options must be a JSON object.");
        var (wanted, shapeError) = Requested(d, request);
        var ids = wanted.Select(w => w.UploadId).Distinct().ToList();
        // Ownership first: a foreign upload id is 404 whatever else is wrong with the request.
        // Filters off (an operator's retry plans in another workspace), so per-member privacy is applied here by hand.
        var privateTo = db.PrivateToUserId;
        var uploads = ids.Count == 0 ? [] : await db.Uploads.IgnoreQueryFilters().AsNoTracking()
            .Where(u => u.WorkspaceId == workspaceId && ids.Contains(u.Id) && (privateTo == null || u.CreatedByUserId == privateTo || u.SharedAt != null)).ToListAsync(ct);
        if (ids.Any(id => uploads.All(u => u.Id != id))) return Error.NotFound("Upload");
        // The shorthand on a pipeline of several optional slots (study notes: media, subtitles or a document): each file goes
        // to the one slot that takes its kind, as the new-job form and the estimate send it.
        if (shapeError is { Code: "invalid_inputs" } && request.Inputs is not { Count: > 0 } && wanted.All(w => w.Slot == "")
            && wanted.Select(w => SlotBinding.SlotForKind(d, uploads.First(u => u.Id == w.UploadId).Kind ?? "")).ToList() is var bySlot && bySlot.All(s => s is not null))
        {
            wanted = [.. wanted.Zip(bySlot, (w, s) => w with { Slot = s!.Name })];
            shapeError = null;
        }
        if (shapeError is not null) return shapeError;
        foreach (var upload in uploads)
            if (upload.Status != UploadStatus.Ready)
                return Error.Invalid("upload_not_ready", $"'{upload.FileName}' is not ready: {upload.RejectMessage ?? "finish the upload first."}") with
                {
                    // Which slot it was given for, so a form shows the sentence beside that field.
                    Extensions = wanted.FirstOrDefault(w => w.UploadId == upload.Id)?.Slot is { Length: > 0 } slot ? new Dictionary<string, object?> { ["slot"] = slot } : null,
                };

        var offered = wanted.Select(w => (w.Slot!, Upload: uploads.First(u => u.Id == w.UploadId))).ToList();
        if (SlotBinding.Check(d, offered.Select(o => new OfferedInput(o.Item1, o.Upload.Kind ?? "", o.Upload.FileName)).ToList()) is { } slotError)
            return slotError;
        var facts = new InputSet<InputFacts>(offered.Select(o => InputFacts.From(o.Item1, o.Upload.Kind!, o.Upload.FileName, o.Upload.Size ?? 0, o.Upload.MetadataJson)).ToList());

        var plan = catalog.Plan(pipeline, request.OptionsOrEmpty, facts);
        if (plan.Error is { } error) return error;
        // The plan's media length limit, after the pipeline's own (which names the pipeline's cap).
        if (workspacePlan.Limits.MaxMediaMinutes is > 0 and var maxMinutes
            && facts.FirstOrDefault(f => f.Media is { } m && m.DurationSeconds > maxMinutes * 60.0) is { } tooLong)
            return new Error("input_too_long", $"'{tooLong.FileName}' is {Math.Ceiling(tooLong.Media!.DurationSeconds / 60):0} minutes long; your plan ({workspacePlan.Name}) takes "
                + $"audio and video up to {maxMinutes} minutes. Upload a shorter file, or see the pricing page for a plan with longer files.", ErrorKind.Unprocessable)
            {
                Extensions = new Dictionary<string, object?> { ["slot"] = tooLong.Slot, ["plan"] = workspacePlan.Id, ["maxMinutes"] = maxMinutes, ["upgradeUrl"] = "/pricing" },
            };
        foreach (var need in plan.Value!.Requires)
        {
            if (workspacePlan.Limits.HasFeature(need.Feature)) continue;
            var with = plans.PlansWith(need.Feature);
            return new Error("plan_feature_required",
                $"{need.What} is not included in your plan ({workspacePlan.Name})" + (with.Count > 0 ? $"; it comes with {string.Join(", ", with)}." : "."), ErrorKind.Unprocessable)
            {
                Extensions = new Dictionary<string, object?> { ["feature"] = need.Feature, ["plan"] = workspacePlan.Id },
            };
        }
        return new JobPlan(pipeline, plan.Value!, wanted);
    }

    /// <summary>The requested (upload, slot) pairs: <c>inputs</c> by slot, or the <c>uploads</c> shorthand for the default slot.
    /// A shape error is returned beside the ids, so that ownership is still checked first.</summary>
    private static (List<JobInput> Inputs, Error? Error) Requested(PipelineDescriptor d, JobRequest request)
    {
        var list = new List<JobInput>();
        foreach (var (slot, ids) in request.Inputs ?? new Dictionary<string, UploadIds>())
            list.AddRange(ids.Select(id => new JobInput(id, slot)));
        if (request.Uploads is not { Count: > 0 } shorthand) return (list, null);
        if (list.Count > 0)
            return (list, Error.Invalid("invalid_inputs", "Give the inputs either as \"inputs\" by slot or as \"uploads\", not both."));
        var slotName = SlotBinding.DefaultSlot(d)?.Name;
        list.AddRange(shorthand.Select(id => new JobInput(id, slotName ?? "")));
        if (slotName is not null) return (list, null);
        return (list, d.Slots.Count == 0
            ? Error.Invalid("unexpected_input", $"{d.Name} takes no input files.")
            : Error.Invalid("invalid_inputs", $"{d.Name} has several inputs; name them in \"inputs\": {string.Join(", ", d.Slots.Select(s => s.Name))}."));
    }
}

using System.Text.Json;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Pipelines;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

public sealed record JobPlan(IPipeline Pipeline, PipelinePlan Plan, IReadOnlyList<JobInput> Inputs);

/// <summary>
/// Resolves a request into a pipeline, its validated options and the cost estimate — what both the estimate
/// endpoint and job creation need, so the number shown before starting is the number held.
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
        if (!(await plans.Run(workspaceId, ct)).AllowsPipeline(pipeline.Descriptor.Id))
            return new Error("plan_pipeline_not_allowed", $"{pipeline.Descriptor.Name} is not included in your plan. See the pricing page to upgrade.", 403);
        if (request.Options is { } o && o.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined))
            return Error.Invalid("invalid_options", "Options must be a JSON object.");

        var ids = request.Uploads ?? [];
        // Ownership first: a foreign upload id is 404 whatever else is wrong with the request.
        var uploads = ids.Count == 0 ? [] : await db.Uploads.IgnoreQueryFilters().AsNoTracking().Where(u => u.WorkspaceId == workspaceId && ids.Contains(u.Id)).ToListAsync(ct);
        if (ids.Any(id => uploads.All(u => u.Id != id))) return Error.NotFound("Upload");
        if (ids.Count == 0 && pipeline.Descriptor.AcceptedInputKinds.Count > 0) return Error.Invalid("input_required", "This pipeline needs an input file: upload one first.");
        if (ids.Count > pipeline.Descriptor.MaxInputs)
            return Error.Invalid("too_many_inputs", $"{pipeline.Descriptor.Name} takes at most {pipeline.Descriptor.MaxInputs} input(s).");
        var facts = new List<InputFacts>(ids.Count);
        foreach (var id in ids)
        {
            var upload = uploads.FirstOrDefault(u => u.Id == id);
            if (upload is null) return Error.NotFound("Upload");
            if (upload.Status != UploadStatus.Ready)
                return Error.Invalid("upload_not_ready", $"'{upload.FileName}' is not ready: {upload.RejectMessage ?? "finish the upload first."}");
            if (!pipeline.Descriptor.AcceptedInputKinds.Contains(upload.Kind ?? ""))
                return Error.Invalid("unsupported_input", $"{pipeline.Descriptor.Name} does not accept {upload.Kind} files.");
            var meta = upload.MetadataJson is null ? JsonDocument.Parse("{}").RootElement : JsonDocument.Parse(upload.MetadataJson).RootElement;
            facts.Add(new InputFacts(upload.Kind!, upload.FileName, upload.Size ?? 0, meta.Clone()));
        }

        var plan = pipeline.Plan(request.OptionsOrEmpty, facts);
        if (plan.Error is { } error) return error;
        return new JobPlan(pipeline, plan.Value!, ids.Select(i => new JobInput(i)).ToList());
    }
}

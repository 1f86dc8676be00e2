using System.Text.Json;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.Dubbing;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public static class PipelinesApi
{
    public static RouteGroupBuilder MapPipelinesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/pipelines", List)
            .WithTags("Pipelines").WithSummary("The installed pipelines: their input slots, what they produce, their options schema and prices.");
        api.MapGet("/pipelines/dubbing/voices", DubbingVoices)
            .WithTags("Pipelines").WithSummary("The voices one dubbing target language can be spoken with here (for the per-language voice option, as language=id): the installed engine's voices, and premium voices marked unavailable when the workspace's plan lacks premium-voices.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/pipelines/dubbing/languages", (string? source, GetDubbingLanguagesQuery query) => Problems.Map(query.Run(source), l => TypedResults.Ok(l)))
            .WithTags("Pipelines").WithSummary("The languages a dubbing job can target from a source language (?source=en, or auto): what the installed translation engine translates into and the synthesizer speaks, as value and label.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Ok<DubbingVoiceList>, ProblemHttpResult>> DubbingVoices(string? language, CurrentUser user, GetDubbingVoicesQuery query, CancellationToken ct) =>
        Problems.Map(await query.Run(user.Workspace, language, ct), v => TypedResults.Ok(v));

    private static Ok<List<PipelineDto>> List(PipelineCatalog catalog) =>
        TypedResults.Ok(catalog.All.OrderBy(p => p.Descriptor.Name, StringComparer.Ordinal).Select(p => PipelineDto.From(p.Descriptor, catalog.Prices(p))).ToList());
}

/// <param name="Pricing">The prices in force: credits per unit of each meter, a per-job fee and a minimum.</param>
public sealed record PipelineDto(string Id, string Name, string Version, string Description, IReadOnlyList<InputSlot> Slots,
    IReadOnlyList<string> AcceptedInputKinds, IReadOnlyList<string> Produces, JsonElement OptionsSchema, PriceList Pricing,
    string ResourceClass, int DefaultTimeoutSeconds)
{
    public static PipelineDto From(PipelineDescriptor d, PriceList prices) =>
        new(d.Id, d.Name, d.Version, d.Description, d.Slots, d.AcceptedInputKinds, d.Produces, d.OptionsSchema, prices, d.ResourceClass, d.DefaultTimeoutSeconds);
}

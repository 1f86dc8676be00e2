using Kiln.Core.Pipelines;

namespace Kiln.Web.Api;

public static class PipelinesApi
{
    public static RouteGroupBuilder MapPipelinesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/pipelines", (PipelineCatalog catalog) => Results.Ok(catalog.All.OrderBy(p => p.Descriptor.Name).Select(p => p.Descriptor)))
            .WithTags("Pipelines").WithSummary("The installed pipelines: inputs they accept, what they produce and their options schema.");
        return api;
    }
}

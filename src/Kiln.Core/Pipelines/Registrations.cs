using Kiln.Core.Ai;
using Kiln.Core.Media;
using Kiln.Core.Pipelines.PdfPodcast;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Pipelines;

public static class PipelineRegistrations
{
    /// <summary>All pipelines (singletons), the <see cref="PipelineCatalog"/>, and the media and AI adapters they use.</summary>
    public static IServiceCollection AddPipelines(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMedia(configuration);
        services.AddAi(configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPipeline, PdfPodcastPipeline>());
        services.TryAddSingleton<PipelineCatalog>();
        return services;
    }
}

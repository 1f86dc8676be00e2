using Kiln.Core.Pipelines.Diagnostics;
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

    /// <summary>The diagnostic pipelines (noop, sleep, fail), when <c>Kiln:Pipelines:Diagnostics</c> is on.</summary>
    public static IServiceCollection AddDiagnosticPipelines(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<PipelineCatalog>();
        if (configuration.GetValue("Kiln:Pipelines:Diagnostics", false))
        {
            services.AddSingleton<IPipeline, NoopPipeline>();
            services.AddSingleton<IPipeline, SleepPipeline>();
            services.AddSingleton<IPipeline, FailPipeline>();
        }
        return services;
    }
}

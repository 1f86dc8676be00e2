using Kiln.Core.Pipelines.Command;
using Kiln.Core.Pipelines.Diagnostics;
using Kiln.Core.Pipelines.Dubbing;
using Kiln.Core.Ai;
using Kiln.Core.Media;
using Kiln.Core.Pipelines.PdfAudiobook;
using Kiln.Core.Pipelines.PdfPodcast;
using Kiln.Core.Pipelines.PodcastEpisode;
using Kiln.Core.Pipelines.StudyNotes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Pipelines;

public static class PipelineRegistrations
{
    /// <summary>All built-in pipelines, the <see cref="PipelineCatalog"/>, and the media and AI adapters they use.</summary>
    public static IServiceCollection AddPipelines(this IServiceCollection services, IConfiguration configuration)
    {
        // The catalog reads each pipeline's operator settings (Kiln:Pipelines:{id}); hosts register configuration already.
        services.TryAddSingleton(configuration);
        services.AddMedia(configuration);
        services.AddAi(configuration);
        services.TryAddSingleton<WorkerCapabilities>();
        services.AddPipeline<PdfPodcastPipeline>();
        services.AddPipeline<PdfAudiobookPipeline>();
        services.AddDubbingPipeline(configuration);
        services.AddPipeline<PodcastEpisodePipeline>();
        services.AddStudyNotesPipeline(configuration);
        services.AddCommandPipelines(configuration);
        return services;
    }

    /// <summary>
    /// The operator's command pipelines (<c>Kiln:CommandPipelines:{id}</c>). A bad definition stops the start with every
    /// problem listed; an id that clashes with a built-in pipeline is caught by the catalog.
    /// </summary>
    public static IServiceCollection AddCommandPipelines(this IServiceCollection services, IConfiguration configuration)
    {
        var definitions = CommandPipelineConfiguration.Load(configuration);
        if (definitions.Count == 0) return services;
        services.TryAddSingleton(sp => new CommandRunner(null, sp.GetService<ILogger<CommandRunner>>()));
        foreach (var definition in definitions)
            services.AddSingleton<IPipeline>(sp => new CommandPipeline(definition, sp.GetRequiredService<CommandRunner>()));
        services.TryAddSingleton<PipelineCatalog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PipelineCatalogCheck>());
        return services;
    }

    /// <summary>
    /// Registers a pipeline (a singleton) in the catalog. The catalog is built and checked when the host starts:
    /// duplicate ids and unusable schemas stop the start with a message naming the pipeline.
    /// </summary>
    public static IServiceCollection AddPipeline<T>(this IServiceCollection services) where T : class, IPipeline
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPipeline, T>());
        services.TryAddSingleton<PipelineCatalog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PipelineCatalogCheck>());
        return services;
    }

    /// <summary>The diagnostic pipelines (noop, sleep, fail), when <c>Kiln:Pipelines:Diagnostics</c> is on.</summary>
    public static IServiceCollection AddDiagnosticPipelines(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<PipelineCatalog>();
        if (configuration.GetValue("Kiln:Pipelines:Diagnostics", false))
        {
            services.AddPipeline<NoopPipeline>();
            services.AddPipeline<SleepPipeline>();
            services.AddPipeline<FailPipeline>();
        }
        return services;
    }
}

/// <summary>Builds the catalog as the host starts, so a bad pipeline stops the start instead of the first request.</summary>
internal sealed class PipelineCatalogCheck(PipelineCatalog catalog) : IHostedService
{
    // Resolving the catalog (a constructor parameter) is the check.
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    internal PipelineCatalog Catalog => catalog;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Kiln.Core.Pipelines.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Pipelines;

public static class PipelineRegistrations
{
    /// <summary>The diagnostic pipelines (noop, sleep, fail), when <c>Kiln:Pipelines:Diagnostics</c> is on.</summary>
    public static IServiceCollection AddDiagnosticPipelines(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<PipelineCatalog>();
        if (configuration.GetValue("Kiln:Pipelines:Diagnostics", false))
        {
            services.AddSingleton<IPipeline, NoopPipeline>();
            services.AddSingleton<IPipeline, SleepPipeline>();
            services.AddSingleton<IPipeline, FailPipeline>();
        }
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Pipelines.Dubbing;

public static class DubbingRegistrations
{
    /// <summary>The dubbing pipeline with its settings (<c>Kiln:Pipelines:dubbing</c>) and the voice listing of the New job form.</summary>
    public static IServiceCollection AddDubbingPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DubbingSettings>(configuration.GetSection(DubbingSettings.Section));
        services.AddPipeline<DubbingPipeline>();
        services.TryAddScoped<GetDubbingVoicesQuery>();
        services.TryAddScoped<GetDubbingLanguagesQuery>();
        return services;
    }
}

using Kiln.Core;
using Kiln.Core.Jobs;

namespace Kiln.Worker;

public static class WorkerRegistrations
{
    public static IServiceCollection AddKilnWorker(this IServiceCollection services, IConfiguration config)
    {
        services.AddKilnCore(config);
        services.AddJobRunner();
        return services;
    }
}

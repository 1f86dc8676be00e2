using Kiln.Core;
using Kiln.Core.Jobs;
using Kiln.Core.Uploads;

namespace Kiln.Worker;

public static class WorkerRegistrations
{
    public static IServiceCollection AddKilnWorker(this IServiceCollection services, IConfiguration config)
    {
        services.AddKilnCore(config);
        services.AddKilnBackgroundWork();
        return services;
    }
}

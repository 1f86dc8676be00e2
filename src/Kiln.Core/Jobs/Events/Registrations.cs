using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Jobs.Events;

public static class EventRegistrations
{
    /// <summary>
    /// The live channel, for hosts that serve event streams (the web host): the hub, PostgreSQL's LISTEN connection,
    /// SQLite's commit hook and the per-process safety poll. Workers need none of it: the database notifies for them.
    /// </summary>
    public static IServiceCollection AddLiveEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<EventsOptions>(configuration.GetSection(EventsOptions.Section));
        services.AddSingleton<EventHub>();
        services.AddSingleton<InProcessEventSignals>();
        services.AddSingleton<IInterceptor>(sp => sp.GetRequiredService<InProcessEventSignals>());
        services.AddScoped<LiveEventsQuery>();
        services.AddSingleton<PostgresEventListener>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresEventListener>());
        services.AddHostedService<EventSafetyPoll>();
        return services;
    }
}

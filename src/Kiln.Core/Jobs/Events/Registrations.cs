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
    /// <summary>
    /// What every writing host needs (web, worker): the EF commit hook and, on PostgreSQL, the NOTIFY sender, so a
    /// worker's writes reach the web processes' streams. Called by AddJobs.
    /// </summary>
    public static IServiceCollection AddEventNotices(this IServiceCollection services)
    {
        services.AddSingleton<PostgresEventNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresEventNotifier>());
        services.AddSingleton(sp => new InProcessEventSignals(sp.GetRequiredService<PostgresEventNotifier>(), sp.GetService<EventHub>(), sp.GetService<JobStatusCache>()));
        services.AddSingleton<IInterceptor>(sp => sp.GetRequiredService<InProcessEventSignals>());
        return services;
    }

    public static IServiceCollection AddLiveEvents(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<EventsOptions>(configuration.GetSection(EventsOptions.Section));
        // The status API's copy of job responses lives beside the hub that invalidates it.
        services.Configure<JobStatusCacheOptions>(configuration.GetSection(JobsOptions.Section));
        services.AddSingleton<JobStatusCache>();
        services.AddSingleton<EventHub>();
        services.AddScoped<LiveEventsQuery>();
        services.AddSingleton<PostgresEventListener>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresEventListener>());
        services.AddHostedService<EventSafetyPoll>();
        return services;
    }
}

using Kiln.Core.Jobs.Events;
using Kiln.Core.Jobs.Queue;
using Kiln.Core.Jobs.Runner;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Jobs;

public static class Registrations
{
    /// <summary>Job use cases (create, cancel, queries) — needed by every host.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<JobsOptions>(configuration.GetSection(JobsOptions.Section));
        services.Configure<WorkerOptions>(configuration.GetSection(WorkerOptions.Section));
        services.AddSingleton<JobSignal>();
        services.AddSingleton<AttemptLeftovers>();
        services.AddScoped<JobEvents>();
        services.AddScoped<JobQueue>();
        services.AddScoped<PlanJobQuery>();
        services.AddScoped<CreateJobCommand>();
        services.AddScoped<CancelJobCommand>();
        services.AddScoped<RetryJobCommand>();
        services.AddScoped<GetJobQuery>();
        services.AddScoped<LiveWorkersQuery>();
        services.AddScoped<GetWorkerWaitQuery>();
        services.AddScoped<ListJobsQuery>();
        services.AddScoped<ListArtifactsQuery>();
        services.AddScoped<ListSubtasksQuery>();
        services.AddScoped<DeleteJobArtifactsCommand>();
        services.AddScoped<Links.CreateSingleUseLinkCommand>();
        services.AddScoped<Links.RedeemSingleUseLinkCommand>();
        services.AddHostedService<PostgresJobListener>();
        services.AddEventNotices();
        return services;
    }

    /// <summary>The job runner (claims and runs jobs in this process), the lease rescuer and the worker heartbeat.</summary>
    public static IServiceCollection AddJobRunner(this IServiceCollection services)
    {
        services.AddSingleton<CompletionBatcher>();
        services.AddSingleton<JobExecutor>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddHostedService<LeaseRescuer>();
        services.AddHostedService<WorkerHeartbeatService>();
        return services;
    }
}

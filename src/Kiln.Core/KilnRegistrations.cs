using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Email;
using Kiln.Core.Audit;
using Kiln.Core.Billing;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Notes;
using Kiln.Core.Pipelines;
using Kiln.Core.Podcasts;
using Kiln.Core.Privacy;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Kiln.Core.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core;

public static class KilnRegistrations
{
    /// <summary>Every Core area, as the web host, the worker and the CLI all need them.</summary>
    public static IServiceCollection AddKilnCore(this IServiceCollection services, IConfiguration config)
    {
        services.AddKilnData(config);
        services.AddAccounts(config);
        services.AddAudit();
        services.AddCredits();
        services.AddJobs(config);
        services.AddPipelines(config);
        services.AddDiagnosticPipelines(config);
        services.AddStorage(config);
        services.AddUploads(config);
        services.AddBilling(config);
        services.AddWebhooks(config);
        services.AddNotes(config);
        services.AddPodcasts(config);
        services.AddScoped<RateLimits.WindowCounter>();
        services.AddPrivacy(config);
        return services;
    }

    /// <summary>The background work of a worker: jobs, the payment-event inbox, the upload sweeper and outbound webhooks.</summary>
    public static IServiceCollection AddKilnBackgroundWork(this IServiceCollection services)
    {
        services.AddJobRunner();
        services.AddUploadSweeper();
        services.AddHostedService<PaymentEventsWorker>();
        services.AddPrivacyWork();
        services.AddWebhookWorker();
        services.AddPodcastWorker();
        services.AddEmailOutboxWorker();
        return services;
    }
}

using Kiln.Core.Accounts.Teams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Privacy;

/// <summary>Teams (more workspaces, ownership transfer), per-member privacy, retention and the personal-data duties.</summary>
public static class Registrations
{
    public static IServiceCollection AddPrivacy(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PrivacyOptions>(configuration.GetSection(PrivacyOptions.Section));
        services.Configure<RetentionOptions>(configuration.GetSection(RetentionOptions.Section));
        services.AddScoped<CreateWorkspaceCommand>();
        services.AddScoped<TransferOwnershipCommand>();
        services.AddScoped<DeleteTeamWorkspaceCommand>();
        services.AddScoped<ForceSignOutCommand>();
        services.AddScoped<SetMemberPrivacyCommand>();
        services.AddScoped<ShareCommand>();
        services.AddScoped<PurgeCommand>();
        services.AddScoped<DeleteJobCommand>();
        services.AddScoped<DeleteArtifactCommand>();
        services.AddScoped<RequestExportCommand>();
        services.AddScoped<ListExportsQuery>();
        services.AddScoped<DataExportBuilder>();
        services.AddScoped<RunDataExportsCommand>();
        services.AddScoped<RequestAccountDeletionCommand>();
        services.AddScoped<EraseAccountCommand>();
        services.AddScoped<WorkspaceErasure>();
        services.AddScoped<RunDueDeletionsCommand>();
        // The email outbox replaces this when it is registered.
        services.TryAddSingleton<IPrivacyNotifier, LogPrivacyNotifier>();
        return services;
    }

    /// <summary>The background loops: retention, data exports, due account deletions.</summary>
    public static IServiceCollection AddPrivacyWork(this IServiceCollection services)
    {
        services.AddHostedService<RetentionService>();
        services.AddHostedService<DataExportService>();
        services.AddHostedService<AccountDeletionService>();
        return services;
    }
}

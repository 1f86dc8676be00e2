using Kiln.Core.Accounts.Teams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Privacy;

/// <summary>Teams (more workspaces, ownership transfer), per-member privacy, retention and the personal-data duties.</summary>
public static class Registrations
{
    public static IServiceCollection AddPrivacy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<CreateWorkspaceCommand>();
        services.AddScoped<TransferOwnershipCommand>();
        services.AddScoped<ForceSignOutCommand>();
        services.AddScoped<SetMemberPrivacyCommand>();
        services.AddScoped<ShareCommand>();
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Accounts;

public static class Registrations
{
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AccountsOptions>(configuration.GetSection("Kiln:Accounts"));
        services.AddScoped<CreateAccountCommand>();
        services.AddScoped<CreateApiKeyCommand>();
        services.AddScoped<RevokeApiKeyCommand>();
        services.AddScoped<ListApiKeysQuery>();
        services.AddScoped<AuthenticateApiKeyQuery>();
        services.AddScoped<GetMembershipQuery>();
        services.AddScoped<RenameWorkspaceCommand>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Credits;

public static class Registrations
{
    public static IServiceCollection AddCredits(this IServiceCollection services)
    {
        // Grants and adjustments are audited.
        Audit.Registrations.AddAudit(services);
        services.AddScoped<CreditsLedger>();
        services.AddScoped<GrantCreditsCommand>();
        services.AddScoped<AdjustCreditsCommand>();
        services.AddScoped<GetBalanceQuery>();
        services.AddScoped<ListLedgerEntriesQuery>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Audit;

public static class Registrations
{
    /// <summary>The audit log. A host with requests registers its own <see cref="IAuditOrigin"/> (the web host does).
    /// Idempotent: areas whose commands record audit events (credits) call it themselves.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.TryAddScoped<IAuditOrigin, NoAuditOrigin>();
        services.TryAddScoped<IAuditLog, AuditLog>();
        services.TryAddScoped<ListAuditEventsQuery>();
        return services;
    }
}

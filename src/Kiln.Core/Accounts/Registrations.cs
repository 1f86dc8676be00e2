using Kiln.Core.Accounts.Email;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Identity;
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
        services.AddSingleton<ApiKeyCache>();
        services.AddScoped<GetMembershipQuery>();
        services.AddScoped<SignedInUserQuery>();
        services.AddScoped<RenameWorkspaceCommand>();
        services.AddScoped<ListMembersQuery>();
        services.AddScoped<ManageMembersCommand>();
        services.AddScoped<SwitchWorkspaceCommand>();
        services.Configure<Sessions.AuthOptions>(configuration.GetSection(Sessions.AuthOptions.Section));
        services.AddScoped<Sessions.StartSessionCommand>();
        services.AddScoped<Sessions.RefreshSessionCommand>();
        services.AddScoped<Sessions.SessionRevocations>();
        services.AddSingleton<Sessions.SessionLiveness>();
        services.AddScoped<LockUserCommand>();
        services.AddScoped<External.SignInExternalCommand>();
        services.AddScoped<ChangePasswordCommand>();
        services.AddScoped<Invitations.InviteMemberCommand>();
        services.AddScoped<Invitations.RespondToInvitationCommand>();
        services.AddScoped<Invitations.ListInvitationsQuery>();
        services.AddScoped<Invitations.GetInvitationQuery>();
        services.AddScoped<Invitations.RevokeInvitationCommand>();
        services.AddAccountEmail(configuration);
        return services;
    }

    /// <summary>
    /// Identity over the Kiln database. Passwords follow NIST SP 800-63B: length matters, composition rules do not.
    /// </summary>
    public static IdentityBuilder AddKilnIdentity(this IServiceCollection services) =>
        services.AddIdentityCore<KilnUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireDigit = false;
                o.Lockout.MaxFailedAccessAttempts = 10;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<KilnDbContext>();
}

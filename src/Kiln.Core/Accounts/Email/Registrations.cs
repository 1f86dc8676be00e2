using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Accounts.Email;

public static class EmailRegistrations
{
    public static IServiceCollection AddAccountEmail(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<EmailOptions>(configuration.GetSection(EmailOptions.Section));
        services.AddSingleton<IEmailSender, SmtpEmailSender>();
        services.AddSingleton<EmailDispatcher>();
        services.AddScoped<EmailOutbox>();
        services.AddScoped<NotificationEmails>();
        services.AddScoped<AccountTokens>();
        services.AddScoped<EmailVerification>();
        services.AddScoped<SendVerificationEmailCommand>();
        services.AddScoped<ConfirmEmailCommand>();
        services.AddScoped<RequestPasswordResetCommand>();
        services.AddScoped<ResetPasswordCommand>();
        services.AddScoped<RequestEmailChangeCommand>();
        services.AddScoped<Profile.IConnectedProvidersQuery, Profile.IdentityConnectedProvidersQuery>();
        services.AddScoped<Profile.GetProfileQuery>();
        services.AddScoped<Profile.UpdateProfileCommand>();
        services.AddScoped<Profile.ListSessionsQuery>();
        services.AddScoped<Profile.RevokeSessionCommand>();
        services.AddScoped<Profile.NotificationSettingsStore>();
        services.AddScoped<TwoFactor.TwoFactorService>();
        services.AddScoped<TwoFactor.TwoFactorChallenges>();
        services.AddScoped<TwoFactor.SetWorkspaceTwoFactorCommand>();
        // Export-ready and deletion-scheduled emails (the privacy area's log-only default stands back).
        services.AddScoped<Privacy.IPrivacyNotifier, EmailPrivacyNotifier>();
        return services;
    }

    /// <summary>The outbox loop, with the rest of a worker's background work.</summary>
    public static IServiceCollection AddEmailOutboxWorker(this IServiceCollection services)
    {
        services.AddSingleton<EmailOutboxWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<EmailOutboxWorker>());
        return services;
    }
}

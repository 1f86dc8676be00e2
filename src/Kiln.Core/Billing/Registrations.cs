using Kiln.Core.Billing.Providers;
using Kiln.Core.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Billing;

public static class Registrations
{
    /// <summary>
    /// Billing use cases and the providers whose secrets are configured. Needs AddKilnData and AddCredits.
    /// The worker must also run <see cref="PaymentEventsWorker"/> (<c>services.AddHostedService&lt;PaymentEventsWorker&gt;()</c>).
    /// </summary>
    public static IServiceCollection AddBilling(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Kiln:Billing");
        services.Configure<BillingOptions>(section);
        services.PostConfigure<BillingOptions>(BillingOptions.ApplyDefaults);
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<BillingCatalog>();
        services.AddSingleton<StripeSignatureVerifier>();
        services.AddSingleton<PaddleSignatureVerifier>();
        services.TryAddSingleton<StandardWebhookVerifier>();

        services.AddScoped<GetPlanLimitsQuery>();
        services.AddScoped<StorageQuota>();
        services.AddScoped<PaymentProviders>();
        services.AddScoped<ReceiveWebhookCommand>();
        services.AddScoped<BillingFactApplier>();
        services.AddScoped<ProcessPaymentEventsCommand>();
        services.AddScoped<RetryPaymentEventCommand>();
        services.AddScoped<ExpireAllowancesCommand>();
        services.AddScoped<CreateCheckoutCommand>();
        // Checkout asks whether the buyer's email is verified; the accounts area registers the same when it is present.
        services.TryAddScoped<Accounts.Email.EmailVerification>();
        services.AddScoped<CreatePortalCommand>();
        services.AddScoped<CancelSubscriptionCommand>();
        services.AddScoped<EndLapsedSubscriptionsCommand>();
        services.AddScoped<GetSubscriptionQuery>();
        services.AddScoped<ListPaymentsQuery>();
        services.AddScoped<ListPaymentEventsQuery>();
        services.AddScoped<ListCreditShortfallsQuery>();
        services.AddScoped<ResolveCreditShortfallCommand>();
        services.AddScoped<DescribeSandboxCheckoutQuery>();
        services.AddScoped<CompleteSandboxCheckoutCommand>();
        services.AddScoped<BillingCustomers>();

        // Providers are registered from configuration read now: a provider without secrets must not accept webhooks.
        var configured = section.Get<BillingOptions>() ?? new BillingOptions();
        if (!string.IsNullOrEmpty(configured.Stripe.SecretKey))
        {
            services.AddHttpClient<StripeClient>((sp, c) => c.BaseAddress = sp.GetRequiredService<IOptions<BillingOptions>>().Value.Stripe.ApiBase);
            services.AddScoped<IPaymentProvider, StripeProvider>();
        }
        if (!string.IsNullOrEmpty(configured.Mollie.ApiKey))
        {
            services.AddHttpClient<MollieClient>((sp, c) => c.BaseAddress = sp.GetRequiredService<IOptions<BillingOptions>>().Value.Mollie.ApiBase);
            services.AddScoped<IPaymentProvider, MollieProvider>();
        }
        if (!string.IsNullOrEmpty(configured.Paddle.ApiKey))
        {
            services.AddHttpClient<PaddleClient>((sp, c) => c.BaseAddress = sp.GetRequiredService<IOptions<BillingOptions>>().Value.Paddle.ApiBase);
            services.AddScoped<IPaymentProvider, PaddleProvider>();
        }
        if (!string.IsNullOrEmpty(configured.Sandbox.Secret))
        {
            // The sandbox "pays" without money: refuse to start a production host with it unless explicitly allowed.
            // (The environment name is the host's own setting, not a Kiln option.)
            var environment = configuration[HostDefaults.EnvironmentKey];
            if (string.Equals(environment, Environments.Production, StringComparison.OrdinalIgnoreCase) && !configured.Sandbox.AllowInProduction)
                throw new InvalidOperationException(
                    "Kiln:Billing:Sandbox:Secret is set in Production. Remove it, or set Kiln:Billing:Sandbox:AllowInProduction=true for a demo installation.");
            services.AddScoped<IPaymentProvider, SandboxProvider>();
        }
        return services;
    }
}

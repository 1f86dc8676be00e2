using System.Net;
using Kiln.Core.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Webhooks;

public static class Registrations
{
    /// <summary>The named client every outbound webhook goes through; configured only in <see cref="AddWebhookHttpClient"/>.</summary>
    public const string HttpClientName = "kiln-webhooks";

    /// <summary>Webhook endpoints and deliveries (use cases, fan-out, sender). The loop is added by <see cref="AddWebhookWorker"/>.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<WebhookOptions>(configuration.GetSection("Kiln:Webhooks"));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StandardWebhookVerifier>();
        services.AddWebhookHttpClient();
        services.AddSingleton<WebhookSecrets>();
        services.AddScoped<CreateWebhookEndpointCommand>();
        services.AddScoped<ListWebhookEndpointsQuery>();
        services.AddScoped<DeleteWebhookEndpointCommand>();
        services.AddScoped<SendTestWebhookCommand>();
        services.AddScoped<ListWebhookDeliveriesQuery>();
        services.AddScoped<RetryWebhookDeliveryCommand>();
        services.AddScoped<EnableWebhookEndpointCommand>();
        services.AddScoped<WebhookFanOut>();
        services.AddScoped<DeliverWebhookCommand>();
        services.AddSingleton<WebhookDispatcher>();
        return services;
    }

    /// <summary>
    /// The one place the outbound webhook client is configured: 15 s timeout, no automatic redirects (a redirect is a
    /// failed delivery, never a request to somewhere else), a Kiln User-Agent, no proxy, and the SSRF guard: every
    /// connection goes through <see cref="GuardedConnector"/>, so an endpoint whose name resolves to an internal
    /// address (loopback, private, link-local, cloud metadata…) is never contacted unless
    /// <see cref="WebhookOptions.AllowPrivateUrls"/> is set.
    /// </summary>
    public static IHttpClientBuilder AddWebhookHttpClient(this IServiceCollection services) =>
        services.AddHttpClient(HttpClientName, c =>
            {
                c.Timeout = TimeSpan.FromSeconds(15);
                c.DefaultRequestHeaders.UserAgent.ParseAdd("Kiln-Webhooks/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowPrivate = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateUrls;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    UseProxy = false,
                    AutomaticDecompression = DecompressionMethods.None,
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                    ConnectCallback = GuardedConnector.Callback(allowPrivate ? _ => true : UrlAddressPolicy.IsPublic),
                };
            });

    /// <summary>The fan-out and delivery loop (worker processes and the embedded web host).</summary>
    public static IServiceCollection AddWebhookWorker(this IServiceCollection services)
    {
        services.AddHostedService<WebhookWorker>();
        return services;
    }
}

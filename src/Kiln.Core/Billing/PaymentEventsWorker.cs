using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Billing;

/// <summary>
/// Drains the webhook inbox, ends canceled subscriptions whose paid period is over (providers that do not announce it)
/// and expires finished allowance periods. Safe to run in several workers at once.
/// </summary>
public sealed class PaymentEventsWorker(IServiceScopeFactory scopes, TimeProvider clock, ILogger<PaymentEventsWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastExpiry = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var busy = false;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                busy = await scope.ServiceProvider.GetRequiredService<ProcessPaymentEventsCommand>().Run(20, stoppingToken) > 0;
                if (clock.GetUtcNow() - lastExpiry > TimeSpan.FromMinutes(5))
                {
                    await scope.ServiceProvider.GetRequiredService<EndLapsedSubscriptionsCommand>().Run(stoppingToken);
                    await scope.ServiceProvider.GetRequiredService<ExpireAllowancesCommand>().Run(stoppingToken);
                    lastExpiry = clock.GetUtcNow();
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogError(ex, "Payment event loop failed");
            }
            if (!busy)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
    }
}

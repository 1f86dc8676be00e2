using Kiln.Core.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Billing;

/// <summary>
/// Drains the webhook inbox, ends canceled subscriptions whose paid period is over (providers that do not announce it)
/// and expires finished allowance periods. Safe to run in several workers at once.
/// </summary>
public sealed class PaymentEventsWorker(IServiceScopeFactory scopes, TimeProvider clock, ILogger<PaymentEventsWorker> log)
    : ScopedLoop(scopes, clock, log)
{
    private static readonly TimeSpan ExpiryInterval = TimeSpan.FromMinutes(5);
    private DateTimeOffset _lastExpiry = DateTimeOffset.MinValue;

    protected override string Name => "Payment event loop";
    protected override TimeSpan IdleDelay => TimeSpan.FromSeconds(2);

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var busy = await services.GetRequiredService<ProcessPaymentEventsCommand>().Run(20, ct) > 0;
        if (Time.GetUtcNow() - _lastExpiry > ExpiryInterval)
        {
            await services.GetRequiredService<EndLapsedSubscriptionsCommand>().Run(ct);
            await services.GetRequiredService<ExpireAllowancesCommand>().Run(ct);
            _lastExpiry = Time.GetUtcNow();
        }
        return busy;
    }
}

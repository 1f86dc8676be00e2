using Kiln.Core.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Webhooks;

/// <summary>One round of webhook work: fan new job events out, then send what is due (a few at a time, each in its own scope).</summary>
public sealed class WebhookDispatcher(IServiceScopeFactory scopes)
{
    private const int Parallelism = 4;

    /// <summary>Returns how many deliveries were created or attempted; 0 means idle.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        int created;
        List<Guid> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            created = await scope.ServiceProvider.GetRequiredService<WebhookFanOut>().RunAsync(500, ct);
            due = await scope.ServiceProvider.GetRequiredService<DeliverWebhookCommand>().DueAsync(50, ct);
        }
        var attempted = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (id, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            if (await scope.ServiceProvider.GetRequiredService<DeliverWebhookCommand>().RunAsync(id, token) is not null)
                Interlocked.Increment(ref attempted);
        });
        return created + attempted;
    }
}

/// <summary>Runs <see cref="WebhookDispatcher"/> in a loop. Safe in several processes at once (claims and inserts are conditional).</summary>
public sealed class WebhookWorker(WebhookDispatcher dispatcher, IServiceScopeFactory scopes, TimeProvider clock, IOptions<WebhookOptions> options,
    ILogger<WebhookWorker> log) : ScopedLoop(scopes, clock, log)
{
    protected override string Name => "Webhook loop";
    protected override TimeSpan IdleDelay => TimeSpan.FromSeconds(options.Value.PollSeconds);

    /// <summary>The dispatcher opens a scope per delivery; the pass's own scope stays unused.</summary>
    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct) => await dispatcher.RunOnceAsync(ct) > 0;
}

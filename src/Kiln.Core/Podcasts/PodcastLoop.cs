using Kiln.Core.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Podcasts;

/// <summary>
/// The podcast background pass: episodes whose processing job ended move on (ready, or back to draft with the error),
/// scheduled episodes whose time has come are published, and expired download salts are forgotten.
/// </summary>
public sealed class PodcastLoop(IServiceScopeFactory scopes, TimeProvider time, IOptions<PodcastOptions> options, ILogger<PodcastLoop> log)
    : ScopedLoop(scopes, time, log)
{
    protected override string Name => "Podcast publishing";
    protected override TimeSpan IdleDelay => TimeSpan.FromSeconds(Math.Max(0.05, options.Value.PollSeconds));

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var synced = await services.GetRequiredService<SyncEpisodeJobsCommand>().Run(ct);
        var published = await services.GetRequiredService<PublishDueEpisodesCommand>().Run(ct);
        await services.GetRequiredService<ForgetOldSaltsCommand>().Run(ct);
        return synced + published > 0;
    }
}

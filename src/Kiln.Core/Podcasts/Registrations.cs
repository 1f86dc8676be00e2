using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Podcasts;

public static class Registrations
{
    /// <summary>Shows, episodes, feeds and download statistics. The background pass is added by <see cref="AddPodcastWorker"/>.</summary>
    public static IServiceCollection AddPodcasts(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PodcastOptions>(configuration.GetSection("Kiln:Podcasts"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<BotFilter>();
        services.AddScoped<ShowArtwork>();
        services.AddScoped<CreateShowCommand>();
        services.AddScoped<UpdateShowCommand>();
        services.AddScoped<DeleteShowCommand>();
        services.AddScoped<RotateFeedTokenCommand>();
        services.AddScoped<ListShowsQuery>();
        services.AddScoped<GetShowQuery>();
        services.AddScoped<EpisodeAudio>();
        services.AddScoped<CreateEpisodeCommand>();
        services.AddScoped<AttachEpisodeAudioCommand>();
        services.AddScoped<UpdateEpisodeCommand>();
        services.AddScoped<DeleteEpisodeCommand>();
        services.AddScoped<PublishEpisodeCommand>();
        services.AddScoped<UnpublishEpisodeCommand>();
        services.AddScoped<ListEpisodesQuery>();
        services.AddScoped<GetEpisodeQuery>();
        services.AddScoped<SyncEpisodeJobsCommand>();
        services.AddScoped<PublishDueEpisodesCommand>();
        services.AddScoped<RecordDownloadCommand>();
        services.AddScoped<ForgetOldSaltsCommand>();
        services.AddScoped<DownloadStatsQuery>();
        services.AddScoped<PublicPodcastQuery>();
        services.AddScoped<Recordings.PodcastUsageQuery>();
        services.AddScoped<Recordings.StartRecordingCommand>();
        services.AddScoped<Recordings.PutRecordingChunkCommand>();
        services.AddScoped<Recordings.GetRecordingQuery>();
        services.AddScoped<Recordings.DiscardRecordingCommand>();
        services.AddScoped<Recordings.FinalizeRecordingCommand>();
        return services;
    }

    public static IServiceCollection AddPodcastWorker(this IServiceCollection services)
    {
        services.AddHostedService<PodcastLoop>();
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Pipelines.StudyNotes;

public static class StudyNotesRegistrations
{
    /// <summary>The study-notes pipeline with its settings (<c>Kiln:StudyNotes</c>) and the video-link downloader.</summary>
    public static IServiceCollection AddStudyNotesPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<StudyNotesSettings>(configuration.GetSection("Kiln:StudyNotes"));
        services.TryAddSingleton(TimeProvider.System);
        // The link fetcher is the uploads area's; hosts without that area (kiln run) get it with default (guarded) settings.
        services.TryAddSingleton<Uploads.UrlFetcher>();
        services.TryAddSingleton<VideoLinkSource>();
        services.TryAddScoped<DownloaderRateLimit>();
        services.AddPipeline<StudyNotesPipeline>();
        return services;
    }
}

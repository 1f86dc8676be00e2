using Kiln.Core.RateLimits;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>
/// The per-workspace limit on video pages handed to the downloader (<c>Kiln:StudyNotes:Downloader:PerWorkspacePerHour</c>),
/// counted in the database (<see cref="WindowCounter"/>, fixed one-hour windows) so it holds across every worker process,
/// not per process.
/// </summary>
public sealed class DownloaderRateLimit(WindowCounter counter, IOptions<StudyNotesSettings> settings)
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>Counts one page fetch of the workspace; over the limit it throws <c>link_rate_limited</c> (transient: the job is retried).</summary>
    public async Task HitAsync(Guid workspaceId, CancellationToken ct)
    {
        var perHour = settings.Value.Downloader.PerWorkspacePerHour;
        var decision = await counter.HitAsync($"video-page:{workspaceId:N}", perHour, Hour, ct);
        if (!decision.Allowed)
            throw new PipelineException("link_rate_limited",
                $"This workspace fetched {perHour} video pages this hour; the job will try again (the limit resets in {Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalMinutes))} min).",
                transient: true);
    }
}

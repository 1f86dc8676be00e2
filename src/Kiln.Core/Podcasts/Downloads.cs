using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Podcasts;

/// <summary>User agents that are not listeners: crawlers, monitors, HTTP libraries, link previews.</summary>
public sealed class BotFilter(IOptions<PodcastOptions> options)
{
    // A subset of the OPAWG/IAB spider list that matters for podcast hosts; operators add more in configuration.
    private static readonly string[] BuiltIn =
    [
        "bot", "crawler", "spider", "slurp", "curl/", "wget/", "python-requests", "python-urllib", "go-http-client", "libwww-perl",
        "java/", "apache-httpclient", "scrapy", "headlesschrome", "phantomjs", "facebookexternalhit", "feedfetcher", "feedburner",
        "uptime", "pingdom", "statuscake", "monitor", "preview", "ahrefs", "semrush", "mj12", "dataprovider", "httpx", "node-fetch", "axios/",
    ];

    public bool IsBot(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent)) return true;
        foreach (var s in BuiltIn) if (userAgent.Contains(s, StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var s in options.Value.ExtraBotUserAgents) if (s.Length > 0 && userAgent.Contains(s, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}

/// <summary>
/// Counts an enclosure download the way the IAB podcast measurement guidelines do: once per listener per episode per
/// day. A listener is HMAC-SHA256(day's random salt, IP + user agent) — the raw IP is never stored, and once the salt
/// is deleted (after two days) nobody can link a hash back to an address. Bots are not counted.
/// </summary>
public sealed class RecordDownloadCommand(KilnDbContext db, BotFilter bots, TimeProvider clock)
{
    /// <returns>True when this request was counted (a new listener today).</returns>
    public async Task<bool> Run(Episode episode, string? ip, string? userAgent, CancellationToken ct)
    {
        if (bots.IsBot(userAgent)) return false;
        var now = clock.GetUtcNow().UtcDateTime;
        var day = now.Date;
        var salt = await SaltFor(day, ct);
        var listener = Convert.ToHexStringLower(HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes((ip ?? "") + "\n" + userAgent)))[..32];
        if (await db.EpisodeDownloads.IgnoreQueryFilters().AnyAsync(d => d.EpisodeId == episode.Id && d.Day == day && d.Listener == listener, ct)) return false;
        db.EpisodeDownloads.Add(new EpisodeDownload { WorkspaceId = episode.WorkspaceId, ShowId = episode.ShowId, EpisodeId = episode.Id, Day = day, Listener = listener, CreatedAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // The same listener's parallel request won the unique index: it is counted once.
            db.ChangeTracker.Clear();
            return false;
        }
    }

    private async Task<byte[]> SaltFor(DateTime day, CancellationToken ct)
    {
        var salt = await db.Set<DownloadSalt>().AsNoTracking().Where(s => s.Day == day).Select(s => s.Salt).FirstOrDefaultAsync(ct);
        if (salt is not null) return salt;
        db.Add(new DownloadSalt { Day = day, Salt = RandomNumberGenerator.GetBytes(32) });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear(); // another process made today's salt first
        }
        return await db.Set<DownloadSalt>().AsNoTracking().Where(s => s.Day == day).Select(s => s.Salt).FirstAsync(ct);
    }
}

/// <summary>Deletes salts older than yesterday: their day's listener hashes can no longer be linked to anyone.</summary>
public sealed class ForgetOldSaltsCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<int> Run(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.Date.AddDays(-1);
        return await db.Set<DownloadSalt>().Where(s => s.Day < cutoff).ExecuteDeleteAsync(ct);
    }
}

public sealed record DailyDownloads(IReadOnlyList<DateTime> Days, IReadOnlyList<long> Counts)
{
    public long Total => Counts.Sum();
}

/// <summary>Downloads per day over the last <c>days</c> days, for a show or one of its episodes (tenant-checked).</summary>
public sealed class DownloadStatsQuery(KilnDbContext db, TimeProvider clock)
{
    public async Task<Kiln.Core.Common.Result<DailyDownloads>> Run(Accounts.Caller caller, Guid showId, Guid? episodeId, int days, CancellationToken ct)
    {
        if (!await db.Shows.AnyAsync(s => s.Id == showId && s.WorkspaceId == caller.Workspace, ct)) return PodcastErrors.ShowNotFound;
        if (episodeId is { } eid && !await db.Episodes.AnyAsync(e => e.Id == eid && e.ShowId == showId && e.WorkspaceId == caller.Workspace, ct))
            return PodcastErrors.EpisodeNotFound;
        days = Math.Clamp(days, 1, 365);
        var today = clock.GetUtcNow().UtcDateTime.Date;
        var from = today.AddDays(1 - days);
        var q = db.EpisodeDownloads.Where(d => d.ShowId == showId && d.WorkspaceId == caller.Workspace && d.Day >= from);
        if (episodeId is { } e2) q = q.Where(d => d.EpisodeId == e2);
        var counts = await q.GroupBy(d => d.Day).Select(g => new { Day = g.Key, Count = g.LongCount() }).ToListAsync(ct);
        var byDay = counts.ToDictionary(c => c.Day, c => c.Count);
        var list = Enumerable.Range(0, days).Select(i => from.AddDays(i)).ToList();
        return new DailyDownloads(list, list.Select(d => byDay.GetValueOrDefault(d)).ToList());
    }
}

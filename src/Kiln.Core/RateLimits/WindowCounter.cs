using System.Data.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Kiln.Core.RateLimits;

/// <summary>The verdict of one hit: allowed or not, the count so far in this window, and when the window ends.</summary>
public readonly record struct RateLimitDecision(bool Allowed, int Count, int Limit, TimeSpan RetryAfter);

/// <summary>
/// A fixed-window counter in the database, so a limit holds across every web process: each hit is one statement that
/// inserts the window's row or adds one to it and returns the new count (<c>INSERT … ON CONFLICT DO UPDATE …
/// RETURNING</c>, the same text on PostgreSQL and SQLite). Windows older than a day are deleted now and then.
/// </summary>
public sealed class WindowCounter(KilnDbContext db, TimeProvider clock)
{
    private const string HitSql = """
        INSERT INTO rate_limit_counters (key, window_start, count) VALUES (@key, @window, 1)
        ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
        RETURNING count
        """;

    private static long _hits;

    /// <summary>Counts a hit against <paramref name="key"/> and says whether it is within <paramref name="limit"/> per <paramref name="window"/>.</summary>
    public async Task<RateLimitDecision> HitAsync(string key, int limit, TimeSpan window, CancellationToken ct)
    {
        var (start, retry) = Window(window);
        var count = await ExecuteAsync(HitSql, key, start, ct);
        if (Interlocked.Increment(ref _hits) % 1000 == 0) await SweepAsync(ct);
        return new RateLimitDecision(count <= limit, count, limit, retry);
    }

    /// <summary>The count in the current window without adding to it.</summary>
    public async Task<int> PeekAsync(string key, TimeSpan window, CancellationToken ct)
    {
        var (start, _) = Window(window);
        return await db.Set<RateLimitCounter>().AsNoTracking().Where(c => c.Key == key && c.WindowStart == start).Select(c => c.Count).FirstOrDefaultAsync(ct);
    }

    public Task SweepAsync(CancellationToken ct)
    {
        var before = clock.GetUtcNow().ToUnixTimeSeconds() - 86_400;
        return db.Set<RateLimitCounter>().Where(c => c.WindowStart < before).ExecuteDeleteAsync(ct);
    }

    private (long Start, TimeSpan RetryAfter) Window(TimeSpan window)
    {
        var seconds = Math.Max(1, (long)window.TotalSeconds);
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var start = now - now % seconds;
        return (start, TimeSpan.FromSeconds(start + seconds - now));
    }

    private async Task<int> ExecuteAsync(string sql, string key, long start, CancellationToken ct)
    {
        var conn = db.Database.GetDbConnection();
        var opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await conn.OpenAsync(ct);
        try
        {
            await using DbCommand cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            Add(cmd, "key", key.Length > 200 ? key[..200] : key);
            Add(cmd, "window", start);
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            if (opened) await conn.CloseAsync();
        }
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}

using Kiln.Core.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Kiln.Core.Jobs.Queue;

/// <summary>LISTENs on <see cref="JobSignal.Channel"/> and pulses the local signal, so other processes' enqueues wake this one.</summary>
public sealed class PostgresJobListener(IOptions<DatabaseOptions> db, JobSignal signal, ILogger<PostgresJobListener> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (db.Value.Provider != DatabaseProvider.Postgres) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = new NpgsqlConnection(db.Value.ConnectionString);
                await conn.OpenAsync(stoppingToken);
                conn.Notification += (_, _) => signal.NotifyLocal();
                await using (var cmd = new NpgsqlCommand($"LISTEN {JobSignal.Channel}", conn))
                    await cmd.ExecuteNonQueryAsync(stoppingToken);
                signal.NotifyLocal();
                while (!stoppingToken.IsCancellationRequested)
                    await conn.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception ex)
            {
                log.LogWarning(ex, "LISTEN connection lost; polling until it is back");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}

using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Worker;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

// A worker process: claims and runs jobs from the shared database and blob store. Run any number of them, on any
// machine that reaches both. SIGTERM stops claiming, lets running jobs finish within Kiln:Worker:ShutdownGraceSeconds,
// and hands the rest back to the queue.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.ClearProviders();
builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; });
builder.Services.AddKilnWorker(builder.Configuration);
// The host waits for the grace period plus the runner's hand-back (up to 15 s) and a little slack.
builder.Services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((o, worker) =>
    o.ShutdownTimeout = TimeSpan.FromSeconds(worker.Value.ShutdownGraceSeconds + 20));

var host = builder.Build();
if (host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
{
    await using var scope = host.Services.CreateAsyncScope();
    await scope.ServiceProvider.GetRequiredService<KilnDbContext>().Database.MigrateAsync();
}
await host.RunAsync();

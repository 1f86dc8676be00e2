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
builder.Services.Configure<HostOptions>(o =>
    o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Kiln:Worker:ShutdownGraceSeconds", 20) + 20));

var host = builder.Build();
if (host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
{
    await using var scope = host.Services.CreateAsyncScope();
    await scope.ServiceProvider.GetRequiredService<KilnDbContext>().Database.MigrateAsync();
}
await host.RunAsync();

// The yardstick: ASP.NET Core with nothing but routing and System.Text.Json, built and run beside Kiln in the same
// benchmark run. The object has the size and shape of a small job status.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var status = new BareStatus(Guid.NewGuid(), "noop", "succeeded", 100, DateTime.UtcNow);
app.MapGet("/status", () => TypedResults.Ok(status));
app.Run();

internal sealed record BareStatus(Guid Id, string Pipeline, string Status, int Progress, DateTime CreatedAt);

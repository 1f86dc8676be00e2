using Kiln.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddKilnWeb();

var app = builder.Build();
await app.MigrateIfConfiguredAsync();
app.UseKilnPipeline();
app.MapKilnEndpoints();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

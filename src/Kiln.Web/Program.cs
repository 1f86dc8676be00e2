using Kiln.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddKilnWeb();
builder.AddKilnUi();

var app = builder.Build();
await app.MigrateIfConfiguredAsync();
app.UseKilnAssets();
app.UseKilnPipeline();
app.UseKilnUi();
app.MapKilnEndpoints();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

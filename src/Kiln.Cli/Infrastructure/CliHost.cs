using Kiln.Core;
using Kiln.Core.Accounts;
using Kiln.Core.Pipelines;
using Kiln.Core.Uploads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Cli.Infrastructure;

/// <summary>Configuration and services for CLI commands, read the same way as the server reads them.</summary>
public static class CliHost
{
    /// <summary>appsettings.json next to the binary, then in the working directory, then environment variables (<c>Kiln__Ai__Provider=openai</c>).</summary>
    public static IConfiguration Configuration(IDictionary<string, string?>? overrides = null) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
            .Build();

    /// <summary>Every Core area (database, identity, ledger, jobs) for the operator commands.</summary>
    public static ServiceProvider CoreServices(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging(l => l.AddConfiguration(configuration.GetSection("Logging")).AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddKilnCore(configuration);
        services.AddKilnIdentity();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    /// <summary>The pipelines, plus the upload checks (<see cref="ContentValidator"/>) every local input goes through first.</summary>
    public static ServiceProvider PipelineServices(IConfiguration configuration) =>
        new ServiceCollection().AddPipelines(configuration).AddContentValidation(configuration).BuildServiceProvider();
}

using Kiln.Core.Pipelines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Support;

public static class Services
{
    /// <summary>The real registrations with in-memory configuration, as the worker and CLI build them.</summary>
    public static ServiceProvider Build(IDictionary<string, string?>? config = null) =>
        new ServiceCollection()
            .AddPipelines(new ConfigurationBuilder().AddInMemoryCollection(config ?? new Dictionary<string, string?>()).Build())
            .BuildServiceProvider();
}

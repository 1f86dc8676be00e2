using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Ai;

public static class AiRegistrations
{
    /// <summary>The key of the <see cref="IDistributedCache"/> that holds answers of identical calls. An in-memory,
    /// size-limited cache by default; register a shared one (Redis, SQL) under this key to share it between workers.</summary>
    public const string CacheServiceKey = "Kiln.Ai";

    /// <summary>
    /// Registers <see cref="IAiProviders"/> (every configured provider and model), the default <see cref="IChatClient"/>
    /// (the default provider's default model, which pipelines take in their constructors), the answer cache and the
    /// usage sink (<see cref="IAiUsageSink"/>, an <see cref="AiUsageAccumulator"/> feeding <see cref="AiUsageScope"/>).
    /// </summary>
    public static IServiceCollection AddAi(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AiOptions.Section).Get<AiOptions>() ?? new AiOptions();
        services.TryAddSingleton(options);
        services.TryAddSingleton<ExtractiveChatClient>();
        services.TryAddSingleton<AiUsageAccumulator>();
        services.TryAddSingleton<IAiUsageSink>(sp => sp.GetRequiredService<AiUsageAccumulator>());
        services.TryAddKeyedSingleton<IDistributedCache>(CacheServiceKey, (_, _) => new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions
        {
            SizeLimit = Math.Max(1, options.CacheSizeMegabytes) * 1024L * 1024L,
        })));
        services.TryAddSingleton(sp => new AiProviderCatalog(
            sp.GetRequiredService<AiOptions>(), sp.GetRequiredService<ExtractiveChatClient>(), sp.GetRequiredService<IAiUsageSink>(),
            sp.GetRequiredKeyedService<IDistributedCache>(CacheServiceKey), sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton<IAiProviders>(sp => sp.GetRequiredService<AiProviderCatalog>());
        // The same instance as GetChatClient() (disposing it twice is harmless).
        services.TryAddSingleton<IChatClient>(sp => sp.GetRequiredService<IAiProviders>().GetChatClient());
        services.TryAddScoped<RecordJobAiUsageCommand>();
        services.TryAddScoped<GetJobAiUsageQuery>();
        services.TryAddScoped<AiUsageByProviderQuery>();
        return services;
    }
}

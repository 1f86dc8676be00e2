using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Ai;

public static class AiRegistrations
{
    /// <summary>Registers the configured <see cref="IChatClient"/> as a singleton; the extractive engine unless <c>Kiln:Ai:Provider=openai</c>.</summary>
    public static IServiceCollection AddAi(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(AiOptions.Section).Get<AiOptions>() ?? new AiOptions();
        services.TryAddSingleton(options);
        if (string.Equals(options.Provider, "openai", StringComparison.OrdinalIgnoreCase))
            services.TryAddSingleton<IChatClient>(_ => new OpenAiChatClient(options));
        else
            services.TryAddSingleton<IChatClient, ExtractiveChatClient>();
        return services;
    }
}

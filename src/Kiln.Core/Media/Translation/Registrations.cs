using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Media.Translation;

public static class TranslationRegistrations
{
    /// <summary>The configured <see cref="ITranslator"/> (<c>Kiln:Translation:Provider</c>: apertium, openai or deepl).</summary>
    public static IServiceCollection AddTranslation(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(TranslationOptions.Section).Get<TranslationOptions>() ?? new TranslationOptions();
        services.TryAddSingleton(options);
        switch (options.Provider.ToLowerInvariant())
        {
            case "deepl":
                services.TryAddSingleton<ITranslator>(_ => new DeepLTranslator(
                    new HttpClient { Timeout = TimeSpan.FromSeconds(options.DeepL.TimeoutSeconds) }, options.DeepL));
                break;
            case "openai":
                services.TryAddSingleton<ITranslator>(_ => new OpenAiChatTranslator(
                    new HttpClient { Timeout = TimeSpan.FromSeconds(options.OpenAi.TimeoutSeconds) }, options.OpenAi));
                break;
            default:
                services.TryAddSingleton<ITranslator, ApertiumTranslator>();
                break;
        }
        return services;
    }
}

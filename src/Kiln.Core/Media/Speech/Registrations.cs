using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Media.Speech;

public static class SpeechRegistrations
{
    /// <summary>The configured speech-to-text engines (<see cref="ISpeechToTextEngines"/>) and the default engine as <see cref="ISpeechToText"/>.</summary>
    public static IServiceCollection AddSpeech(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(SpeechOptions.Section).Get<SpeechOptions>() ?? new SpeechOptions();
        services.TryAddSingleton(options);
        services.TryAddSingleton<ISpeechToTextEngines>(sp => new SpeechToTextEngines(
            options, sp.GetRequiredService<IProcessRunner>(),
            // One client per engine, for the process's life: transcriptions are long requests with their own timeout.
            engine => new HttpClient { Timeout = TimeSpan.FromSeconds(Math.Max(10, engine.TimeoutSeconds)) }));
        services.TryAddSingleton(sp => sp.GetRequiredService<ISpeechToTextEngines>().Default);
        return services;
    }
}

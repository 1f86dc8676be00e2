using Kiln.Core.Media.Speech;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Core.Media;

public static class MediaRegistrations
{
    /// <summary>Process runner, PDF/audio tools, the configured speech synthesizer and speech-to-text engines (all singletons, all stateless).</summary>
    public static IServiceCollection AddMedia(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(MediaOptions.Section).Get<MediaOptions>() ?? new MediaOptions();
        services.TryAddSingleton(options);
        services.TryAddSingleton<IProcessRunner, ProcessRunner>();
        services.TryAddSingleton<IPdfTools, PdfTools>();
        services.TryAddSingleton<IAudioTools, AudioTools>();
        if (string.Equals(options.TtsProvider, "elevenlabs", StringComparison.OrdinalIgnoreCase))
            services.TryAddSingleton<ISpeechSynthesizer>(_ => new ElevenLabsSpeechSynthesizer(
                new HttpClient { Timeout = TimeSpan.FromSeconds(options.ElevenLabs.TimeoutSeconds) }, options.ElevenLabs));
        else if (string.Equals(options.TtsProvider, "openai", StringComparison.OrdinalIgnoreCase))
            services.TryAddSingleton<ISpeechSynthesizer>(_ => new OpenAiSpeechSynthesizer(options.OpenAi));
        else
            services.TryAddSingleton<ISpeechSynthesizer, EspeakSpeechSynthesizer>();
        services.AddSpeech(configuration);
        return services;
    }
}

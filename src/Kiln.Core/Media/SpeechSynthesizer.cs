namespace Kiln.Core.Media;

/// <summary>Text to speech. Voices are addressed by index (0 = first host, 1 = second) so callers stay engine-neutral.</summary>
public interface ISpeechSynthesizer
{
    string Name { get; }

    /// <summary>Writes <paramref name="text"/> spoken with voice <paramref name="voiceIndex"/> to a WAV file.</summary>
    Task SynthesizeAsync(string text, int voiceIndex, string outputWavPath, CancellationToken ct);
}

/// <summary>Offline speech via espeak-ng: robotic, but free and always available.</summary>
public sealed class EspeakSpeechSynthesizer(IProcessRunner runner, MediaOptions options) : ISpeechSynthesizer
{
    public string Name => "espeak-ng";

    public async Task SynthesizeAsync(string text, int voiceIndex, string outputWavPath, CancellationToken ct)
    {
        var voices = options.Espeak.Voices is { Length: > 0 } v ? v : EspeakOptions.DefaultVoices;
        var voice = voices[Math.Abs(voiceIndex) % voices.Length];
        // Text goes through a file: as an argument, a line starting with '-' would be read as an option.
        var textFile = outputWavPath + ".txt";
        await File.WriteAllTextAsync(textFile, text, ct);
        try
        {
            string[] args = ["-v", voice, "-s", options.Espeak.WordsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-w", outputWavPath, "-f", textFile];
            ToolFailedException.EnsureSuccess(
                await runner.RunAsync(new ProcessSpec("espeak-ng", args) { Timeout = TimeSpan.FromMinutes(2), InstallHint = "install espeak-ng" }, ct),
                "espeak-ng");
        }
        finally
        {
            File.Delete(textFile);
        }
    }
}

using Kiln.Core.Media;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Media;

public sealed class SpeechAndAudioTests
{
    [Fact]
    public async Task Espeak_uses_two_distinct_voices_and_ffmpeg_joins_them_into_an_mp3()
    {
        var runner = new ProcessRunner();
        var speech = new EspeakSpeechSynthesizer(runner, new MediaOptions());
        var audio = new AudioTools(runner);
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;

        // A leading dash would be read as an option if the text were passed as an argument.
        await speech.SynthesizeAsync("-v Hello from the first host.", 0, dir.File("a.wav"), ct);
        await speech.SynthesizeAsync("-v Hello from the first host.", 1, dir.File("b.wav"), ct);
        var a = await File.ReadAllBytesAsync(dir.File("a.wav"), ct);
        var b = await File.ReadAllBytesAsync(dir.File("b.wav"), ct);
        a.Length.ShouldBeGreaterThan(1000);
        a.ShouldNotBe(b);

        await audio.ConcatToMp3Async([dir.File("a.wav"), dir.File("b.wav")], dir.File("it's.mp3"), ct);
        var total = await audio.GetDurationSecondsAsync(dir.File("it's.mp3"), ct);
        var first = await audio.GetDurationSecondsAsync(dir.File("a.wav"), ct);
        total.ShouldBeGreaterThan(first * 1.5);
    }
}

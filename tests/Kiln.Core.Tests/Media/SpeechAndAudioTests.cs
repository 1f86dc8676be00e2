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

public sealed class LoudnessTests
{
    [Theory]
    [InlineData("podcast")]
    [InlineData("audiobook")]
    public async Task A_short_narrated_mp3_lands_within_its_loudness_target(string kind)
    {
        var target = kind == "podcast" ? LoudnessTarget.Podcast : LoudnessTarget.Audiobook;
        var runner = new ProcessRunner();
        var speech = new EspeakSpeechSynthesizer(runner, new MediaOptions());
        var audio = new AudioTools(runner);
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await speech.SynthesizeAsync("Welcome to the show. Today we read a manual about data compression, one chapter at a time.", 0, dir.File("a.wav"), ct);
        await speech.SynthesizeAsync("Thanks. The first chapter explains how blocks are sorted before they are coded.", 1, dir.File("b.wav"), ct);

        var before = await audio.MeasureLoudnessAsync(dir.File("a.wav"), ct);
        await audio.ConcatToMp3Async([dir.File("a.wav"), dir.File("b.wav")], dir.File("out.mp3"), target, ct);
        var after = await audio.MeasureLoudnessAsync(dir.File("out.mp3"), ct);

        after.IntegratedLufs.ShouldBeInRange(target.IntegratedLufs - 1, target.IntegratedLufs + 1, $"before: {before}");
        after.TruePeakDbtp.ShouldBeLessThanOrEqualTo(target.TruePeakDbtp);
        target.IsMet(after).ShouldBeTrue();
    }

    [Fact]
    public void Parses_the_ebur128_summary()
    {
        const string stderr = """
            [Parsed_ebur128_0 @ 0x1] t: 1.2 TARGET:-23 LUFS M: -20.1 S: -120.7 I: -19.5 LUFS LRA: 0.0 LU FTPK: -3.1 dBFS TPK: -3.1 dBFS
            [Parsed_ebur128_0 @ 0x1] Summary:

              Integrated loudness:
                I:         -16.3 LUFS
                Threshold: -26.5 LUFS

              Loudness range:
                LRA:         4.1 LU

              True peak:
                Peak:       -1.6 dBFS
            """;
        AudioTools.ParseEbur128(stderr).ShouldBe(new LoudnessMeasurement(-16.3, -1.6));
        AudioTools.ParseEbur128("no summary").ShouldBeNull();
    }
}

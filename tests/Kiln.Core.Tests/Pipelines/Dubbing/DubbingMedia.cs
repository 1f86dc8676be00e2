using System.Globalization;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Media.Translation;

namespace Kiln.Core.Tests.Pipelines.Dubbing;

/// <summary>
/// Short test media made once per test run and shared: about ten seconds of festival English speech (three sentences
/// with pauses, festival because pocketsphinx hears it far better than espeak-ng), a tone-plus-noise background, the
/// same voice as a video, a video without audio and a file of noise with no speech. Segment times are what was made.
/// </summary>
public sealed class DubbingMedia
{
    public static readonly string[] Sentences = ["Welcome to the studio.", "Today we talk about the weather.", "Thank you for listening."];
    private static readonly Lazy<Task<DubbingMedia>> Shared = new(() => MakeAsync());
    private const double Lead = 0.5, Pause = 1.5, Tail = 1.0;

    public required string Directory { get; init; }
    public required string Voice { get; init; }
    public required string Background { get; init; }
    public required string LongBackground { get; init; }
    public required string Video { get; init; }
    public required string SilentVideo { get; init; }
    public required string Noise { get; init; }
    public required double Duration { get; init; }
    public required IReadOnlyList<TranscriptSegment> Segments { get; init; }

    public static Task<DubbingMedia> GetAsync() => Shared.Value;

    private static async Task<DubbingMedia> MakeAsync()
    {
        var dir = System.IO.Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"kiln-dub-media-{Environment.ProcessId}")).FullName;
        // Shared by every test of this process, removed when it ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { System.IO.Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        var runner = new ProcessRunner();
        var parts = new List<string>();
        var segments = new List<TranscriptSegment>();
        var at = Lead;
        parts.Add(await SilenceAsync(runner, dir, "lead", Lead));
        for (var i = 0; i < Sentences.Length; i++)
        {
            var txt = Path.Combine(dir, $"s{i}.txt");
            await File.WriteAllTextAsync(txt, Sentences[i]);
            var raw = Path.Combine(dir, $"s{i}-raw.wav");
            await Run(runner, "text2wave", ["-eval", "(voice_cmu_us_slt_arctic_hts)", "-o", raw, txt]);
            // Festival leaves silence around the words: trim it so the segment times below are the speech.
            var wav = Path.Combine(dir, $"s{i}.wav");
            await Run(runner, "ffmpeg", ["-nostdin", "-y", "-i", raw, "-af", "silenceremove=start_periods=1:start_threshold=-45dB,areverse,silenceremove=start_periods=1:start_threshold=-45dB,areverse",
                "-ac", "1", "-ar", "44100", wav]);
            var length = await DurationAsync(runner, wav);
            segments.Add(new TranscriptSegment(at, at + length, Sentences[i], []));
            parts.Add(wav);
            at += length;
            var gap = i + 1 < Sentences.Length ? Pause : Tail;
            parts.Add(await SilenceAsync(runner, dir, $"gap{i}", gap));
            at += gap;
        }
        var list = Path.Combine(dir, "list.txt");
        await File.WriteAllLinesAsync(list, parts.Select(p => $"file '{p}'"));
        var voice = Path.Combine(dir, "voice.wav");
        await Run(runner, "ffmpeg", ["-nostdin", "-y", "-f", "concat", "-safe", "0", "-i", list, "-ac", "1", "-ar", "44100", "-c:a", "pcm_s16le", voice]);
        var duration = await DurationAsync(runner, voice);

        var background = Path.Combine(dir, "background.wav");
        await Run(runner, "ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", Inv($"sine=frequency=220:duration={duration}"), "-f", "lavfi", "-i", Inv($"anoisesrc=color=pink:amplitude=0.05:duration={duration}"),
            "-filter_complex", "[0:a]volume=0.15[t];[t][1:a]amix=inputs=2:normalize=0", "-ac", "1", "-ar", "44100", background]);
        var longBackground = Path.Combine(dir, "background-long.wav");
        await Run(runner, "ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", Inv($"sine=frequency=330:duration={duration + 4}"), "-af", "volume=0.2", "-ac", "1", "-ar", "44100", longBackground]);
        var video = Path.Combine(dir, "talk.mp4");
        await Run(runner, "ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", Inv($"testsrc=size=160x120:rate=10:duration={duration}"), "-i", voice,
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", video]);
        var silentVideo = Path.Combine(dir, "silent.mp4");
        await Run(runner, "ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", silentVideo]);
        var noise = Path.Combine(dir, "noise.wav");
        await Run(runner, "ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", "anoisesrc=color=brown:amplitude=0.02:duration=4", "-ac", "1", "-ar", "44100", noise]);
        return new DubbingMedia
        {
            Directory = dir, Voice = voice, Background = background, LongBackground = longBackground, Video = video, SilentVideo = silentVideo,
            Noise = noise, Duration = duration, Segments = segments,
        };
    }

    private static async Task<string> SilenceAsync(ProcessRunner runner, string dir, string name, double seconds)
    {
        var path = Path.Combine(dir, name + ".wav");
        await Run(runner, "ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", Inv($"{seconds}"), "-c:a", "pcm_s16le", path]);
        return path;
    }

    public static async Task<double> DurationAsync(IProcessRunner runner, string path)
    {
        var r = await Run(runner, "ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path]);
        return double.Parse(r.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Mean volume (dBFS) of <paramref name="path"/> between two times, as ffmpeg's volumedetect reads it.</summary>
    public static async Task<double> MeanVolumeAsync(string path, double from, double to)
    {
        var r = await Run(new ProcessRunner(), "ffmpeg", ["-nostdin", "-hide_banner", "-ss", Inv($"{from}"), "-t", Inv($"{to - from}"), "-i", path, "-af", "volumedetect", "-f", "null", "-"]);
        var line = r.Stderr.Split('\n').Last(l => l.Contains("mean_volume:", StringComparison.Ordinal));
        var value = line[(line.IndexOf("mean_volume:", StringComparison.Ordinal) + 12)..].Replace("dB", "", StringComparison.Ordinal).Trim();
        return value == "-inf" ? -120 : double.Parse(value, CultureInfo.InvariantCulture);
    }

    private static async Task<ProcessResult> Run(IProcessRunner runner, string tool, string[] args)
    {
        var r = await runner.RunAsync(new ProcessSpec(tool, args) { Timeout = TimeSpan.FromMinutes(2) }, CancellationToken.None);
        if (!r.Succeeded) throw new InvalidOperationException($"{tool} failed: {r.StderrTail()}");
        return r;
    }

    private static string Inv(FormattableString s) => FormattableString.Invariant(s);
}

/// <summary>
/// Speech to text that answers the segments the test made (used until the shared engines are on this branch, and for
/// tests about what happens after transcription). Honest about what it is: it hears nothing, it knows the script.
/// </summary>
public sealed class ScriptedSpeechToText(IReadOnlyList<TranscriptSegment> segments, string language = "en") : ISpeechToText, ISpeechToTextEngines
{
    private int _calls;
    public int Calls => _calls;
    public string Name => "scripted";
    public IReadOnlySet<string> Languages { get; } = new HashSet<string> { "en" };
    public bool DetectsLanguage => false;

    public Task<Transcript> TranscribeAsync(string mediaPath, string? lang, CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        if (segments.Count == 0) throw new NoSpeechFoundException("No speech was found in the recording.");
        return Task.FromResult(new Transcript(lang ?? language, segments.Max(s => s.End), segments, Name));
    }

    public ISpeechToText Default => this;
    public IReadOnlyList<ISpeechToText> All => [this];
    public ISpeechToText? Find(string name) => name == Name ? this : null;
}

/// <summary>A real translator that fails for one target language (the first <paramref name="times"/> calls, or always).</summary>
public sealed class FailingTranslator(ITranslator inner, string failFor, Func<Exception> failure, int times = int.MaxValue) : ITranslator
{
    private int _failed;
    public List<string> Calls { get; } = [];
    public string Name => inner.Name;
    public bool Supports(string source, string target) => inner.Supports(source, target);
    public IReadOnlySet<string>? Targets(string source) => inner.Targets(source);

    public Task<IReadOnlyList<string>> TranslateAsync(IReadOnlyList<string> segments, string source, string target, CancellationToken ct)
    {
        lock (Calls) Calls.Add(target);
        if (target == failFor && _failed++ < times) throw failure();
        return inner.TranslateAsync(segments, source, target, ct);
    }
}

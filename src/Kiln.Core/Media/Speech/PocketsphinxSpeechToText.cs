using System.Globalization;

namespace Kiln.Core.Media.Speech;

/// <summary>
/// Offline English speech to text with Debian's pocketsphinx 0.8 (<c>pocketsphinx_continuous</c>). It runs at about
/// 0.4× real time per core, so long files are cut at quiet places and the pieces run in parallel. Accuracy suits
/// alignment, keywords and rough transcripts (≈10 % WER on clean synthetic speech), not publishable text: operators who
/// need that configure an OpenAI-compatible or Deepgram engine.
/// </summary>
public sealed class PocketsphinxSpeechToText(IProcessRunner runner, PocketsphinxOptions options, string name = "pocketsphinx") : ISpeechToText
{
    private static readonly IReadOnlySet<string> English = new HashSet<string> { "en" };

    public string Name => name;
    public IReadOnlySet<string> Languages => English;
    public bool DetectsLanguage => false;

    public async Task<Transcript> TranscribeAsync(string mediaPath, string? language, CancellationToken ct)
    {
        if (language is not null && !language.StartsWith("en", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The {name} engine hears English only, not '{language}'. Configure an OpenAI-compatible or Deepgram engine for other languages.", nameof(language));

        var dir = Directory.CreateTempSubdirectory("kiln-stt-");
        try
        {
            var pcm = Path.Combine(dir.FullName, "audio.pcm");
            var duration = await SpeechAudio.DecodeToPcmAsync(runner, mediaPath, pcm, ct);
            var cuts = SpeechAudio.FindCutPoints(pcm, duration, Math.Max(1, options.ChunkSeconds));
            var bounds = new List<(double Start, double End)>();
            var start = 0.0;
            foreach (var cut in cuts.Append(duration)) { bounds.Add((start, cut)); start = cut; }

            var results = new IReadOnlyList<TranscriptSegment>[bounds.Count];
            using var gate = new SemaphoreSlim(Math.Max(1, options.Parallelism));
            await Task.WhenAll(bounds.Select(async (b, i) =>
            {
                await gate.WaitAsync(ct);
                try
                {
                    var wav = Path.Combine(dir.FullName, $"chunk{i:D4}.wav");
                    await SpeechAudio.WriteWavSliceAsync(pcm, b.Start, b.End, wav, ct);
                    results[i] = await RecognizeAsync(wav, b.End - b.Start, b.Start, ct);
                    File.Delete(wav);
                }
                finally { gate.Release(); }
            }));

            var segments = results.SelectMany(r => r).ToList();
            if (segments.Count == 0) throw new NoSpeechFoundException("No speech was found in the audio.");
            return new Transcript("en", duration, segments, name);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { /* best effort: temp space */ }
        }
    }

    private async Task<IReadOnlyList<TranscriptSegment>> RecognizeAsync(string wav, double seconds, double offset, CancellationToken ct)
    {
        List<string> args = ["-infile", wav, "-time", "yes", "-logfn", "/dev/null"];
        if (!string.IsNullOrWhiteSpace(options.ModelPath)) args.AddRange(["-hmm", options.ModelPath]);
        if (!string.IsNullOrWhiteSpace(options.LanguageModelPath)) args.AddRange(["-lm", options.LanguageModelPath]);
        if (!string.IsNullOrWhiteSpace(options.DictionaryPath)) args.AddRange(["-dict", options.DictionaryPath]);
        var spec = new ProcessSpec("pocketsphinx_continuous", args)
        {
            // 0.4× real time when it has a core to itself; leave room for a busy machine.
            Timeout = TimeSpan.FromSeconds(120 + seconds * 3),
            InstallHint = "install pocketsphinx and pocketsphinx-en-us",
        };
        var result = ToolFailedException.EnsureSuccess(await runner.RunAsync(spec, ct), "pocketsphinx_continuous");
        return PocketsphinxOutput.Parse(result.Stdout, offset);
    }
}

/// <summary>Reads <c>pocketsphinx_continuous -time yes</c> output (0.8): per utterance a line of text, then one
/// <c>word start end confidence</c> line per word, including markers (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>,
/// <c>&lt;sil&gt;</c>, <c>[NOISE]</c>) and alternate pronunciations (<c>and(2)</c>).</summary>
internal static class PocketsphinxOutput
{
    /// <summary>Longest segment before an utterance is split at a pause.</summary>
    public const double MaxSegmentSeconds = 15;
    /// <summary>The shortest pause an utterance is split at (when one exists).</summary>
    public const double MinSplitGapSeconds = 0.3;

    public static IReadOnlyList<TranscriptSegment> Parse(string stdout, double offset = 0)
    {
        var segments = new List<TranscriptSegment>();
        var words = new List<TranscriptWord>();
        void Flush()
        {
            if (words.Count > 0) Split(words, segments);
            words = [];
        }
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 4 || !TryTime(parts[1], out var start) || !TryTime(parts[2], out var end) || !TryTime(parts[3], out var conf))
            {
                // An utterance's text line: the words that follow belong to a new utterance.
                Flush();
                continue;
            }
            var token = parts[0];
            if (token == "<s>") { Flush(); continue; }
            if (token.StartsWith('<') || token.StartsWith('[') || token.StartsWith("++", StringComparison.Ordinal)) continue;
            var paren = token.IndexOf('(', StringComparison.Ordinal);
            if (paren > 0 && token.EndsWith(')')) token = token[..paren];
            words.Add(new TranscriptWord(Round(start + offset), Round(end + offset), token, Math.Clamp(conf, 0, 1)));
        }
        Flush();
        return segments;
    }

    /// <summary>Splits an utterance longer than <see cref="MaxSegmentSeconds"/> at its widest pause near the middle, recursively.</summary>
    internal static void Split(IReadOnlyList<TranscriptWord> words, List<TranscriptSegment> into)
    {
        if (words.Count == 0) return;
        var span = words[^1].End - words[0].Start;
        if (span <= MaxSegmentSeconds || words.Count < 2)
        {
            into.Add(new TranscriptSegment(words[0].Start, words[^1].End, string.Join(' ', words.Select(w => w.Text)), words));
            return;
        }
        // Prefer pauses ≥ 0.3 s; among them the one closest to the middle keeps both halves short. Without one, the widest gap.
        var middle = words[0].Start + span / 2;
        var best = -1;
        var bestScore = double.MaxValue;
        for (var i = 1; i < words.Count; i++)
        {
            var gap = words[i].Start - words[i - 1].End;
            var score = (gap >= MinSplitGapSeconds ? 0 : 1000) + Math.Abs(words[i].Start - middle) - (gap >= MinSplitGapSeconds ? 0 : gap * 100);
            if (score < bestScore) { bestScore = score; best = i; }
        }
        Split(words.Take(best).ToList(), into);
        Split(words.Skip(best).ToList(), into);
    }

    private static bool TryTime(string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v);

    private static double Round(double v) => Math.Round(v, 3);
}

using System.Collections.Concurrent;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Media.Speech;

public sealed class PocketsphinxOutputTests
{
    // What pocketsphinx_continuous 0.8 printed for festival's "The quick brown fox jumps over the lazy dog. Kiln turns…".
    private const string Output = """
        the quick brown fox jumped over the lazy dog killed turns documents and
        <s> 0.090 0.140 0.999400
        the 0.150 0.260 0.890641
        quick 0.270 0.530 0.137088
        brown 0.540 0.930 0.993421
        fox 0.940 1.440 0.999800
        jumped 1.450 1.810 0.347072
        over 1.820 2.080 0.999700
        the 2.090 2.190 0.999700
        lazy 2.200 2.640 0.999800
        dog 2.650 3.060 0.730054
        <sil> 3.070 3.300 0.997702
        [NOISE] 3.300 3.310 0.9
        killed 3.310 3.600 0.691880
        turns 3.610 3.910 0.971510
        documents 3.920 4.580 0.791420
        and(2) 4.590 4.760 0.720480
        </s> 6.440 6.460 1.000000
        second utterance
        <s> 8.000 8.100 0.99
        second 8.100 8.600 0.9
        utterance 8.600 9.300 0.8
        </s> 9.300 9.400 1.0
        """;

    [Fact]
    public void Reads_utterances_and_words_without_markers_or_alternates()
    {
        var segments = PocketsphinxOutput.Parse(Output, offset: 10);

        segments.Count.ShouldBe(2);
        segments[0].Text.ShouldBe("the quick brown fox jumped over the lazy dog killed turns documents and");
        segments[0].Start.ShouldBe(10.15);
        segments[0].End.ShouldBe(14.76);
        segments[0].Words[^1].ShouldBe(new TranscriptWord(14.59, 14.76, "and", 0.72048));
        segments[1].Words.Select(w => w.Text).ShouldBe(["second", "utterance"]);
        segments[1].Start.ShouldBe(18.1);
    }

    [Fact]
    public void Long_utterances_are_split_at_pauses_into_segments_of_at_most_15_seconds()
    {
        // 40 s of words 0.4 s apart, with a 0.5 s pause every 5 s.
        var words = new List<TranscriptWord>();
        var t = 0.0;
        for (var i = 0; i < 90; i++)
        {
            words.Add(new TranscriptWord(t, t + 0.35, $"w{i}"));
            t += i % 12 == 11 ? 0.85 : 0.4;
        }
        var segments = new List<TranscriptSegment>();
        PocketsphinxOutput.Split(words, segments);

        segments.Count.ShouldBeGreaterThanOrEqualTo(3);
        segments.ShouldAllBe(s => s.End - s.Start <= 15);
        segments.SelectMany(s => s.Words).ShouldBe(words);
        foreach (var (a, b) in segments.Zip(segments.Skip(1)))
            (b.Start - a.End).ShouldBeGreaterThanOrEqualTo(0.3 + 0.1, "cut at a pause, not between running words");
    }
}

/// <summary>The real pocketsphinx on festival speech (≈8 s; the chunked case ≈14 s on two processes).</summary>
public sealed class PocketsphinxSpeechToTextTests
{
    private static readonly ProcessRunner Runner = new();

    [Fact]
    public async Task Transcribes_festival_speech_with_word_timings_inside_their_segments()
    {
        var stt = new PocketsphinxSpeechToText(Runner, new PocketsphinxOptions());
        var transcript = await stt.TranscribeAsync(TestSpeech.Wav(), "en", TestContext.Current.CancellationToken);

        transcript.Language.ShouldBe("en");
        transcript.Engine.ShouldBe("pocketsphinx");
        transcript.DurationSeconds.ShouldBeInRange(5, 15);
        WordErrorRate.Compute(TestSpeech.Text(), transcript.Text).ShouldBeLessThan(0.35, transcript.Text);
        AssertWellFormed(transcript);
    }

    [Fact]
    public async Task Long_files_are_cut_at_pauses_and_recognised_in_parallel_with_times_offset()
    {
        string[] sentences = [.. TestSpeech.Sentences, "Bring a warm coat because the weather will be cold.", "The library closes early on Sundays."];
        var audio = TestSpeech.Wav(sentences, pauseSeconds: 0.8);
        var counting = new CountingRunner(Runner);
        var stt = new PocketsphinxSpeechToText(counting, new PocketsphinxOptions { ChunkSeconds = 4, Parallelism = 2 });

        var transcript = await stt.TranscribeAsync(audio, null, TestContext.Current.CancellationToken);

        counting.Runs.Count(r => r == "pocketsphinx_continuous").ShouldBeGreaterThanOrEqualTo(3);
        counting.MaxConcurrent.ShouldBe(2);
        WordErrorRate.Compute(TestSpeech.Text(sentences), transcript.Text).ShouldBeLessThan(0.35, transcript.Text);
        AssertWellFormed(transcript);
        // The last sentence is heard near the end of the file, so chunk times were offset.
        transcript.Segments[^1].End.ShouldBeGreaterThan(transcript.DurationSeconds - 3);
    }

    [Fact]
    public async Task Silence_is_no_speech()
    {
        var stt = new PocketsphinxSpeechToText(Runner, new PocketsphinxOptions());
        var error = await Should.ThrowAsync<NoSpeechFoundException>(() => stt.TranscribeAsync(TestSpeech.Silence(3), null, TestContext.Current.CancellationToken));
        error.Message.ShouldBe("No speech was found in the audio.");
    }

    [Fact]
    public async Task Other_languages_are_refused_with_advice()
    {
        var stt = new PocketsphinxSpeechToText(Runner, new PocketsphinxOptions());
        var error = await Should.ThrowAsync<ArgumentException>(() => stt.TranscribeAsync(TestSpeech.Silence(1), "de", TestContext.Current.CancellationToken));
        error.Message.ShouldContain("English only");
    }

    private static void AssertWellFormed(Transcript transcript)
    {
        transcript.Segments.ShouldNotBeEmpty();
        foreach (var s in transcript.Segments)
        {
            s.End.ShouldBeGreaterThan(s.Start);
            s.Words.ShouldNotBeEmpty();
            s.Words.ShouldAllBe(w => w.Start >= s.Start && w.End <= s.End && w.End >= w.Start);
            s.Words.Zip(s.Words.Skip(1)).ShouldAllBe(p => p.Second.Start >= p.First.End);
            s.Text.ShouldBe(string.Join(' ', s.Words.Select(w => w.Text)));
        }
        transcript.Segments.Zip(transcript.Segments.Skip(1)).ShouldAllBe(p => p.Second.Start >= p.First.End);
        transcript.Segments[^1].End.ShouldBeLessThanOrEqualTo(transcript.DurationSeconds + 0.05);
    }

    /// <summary>The real runner, recording which tools ran and how many at once.</summary>
    private sealed class CountingRunner(IProcessRunner inner) : IProcessRunner
    {
        private int _running;
        public ConcurrentQueue<string> Runs { get; } = new();
        public int MaxConcurrent { get; private set; }

        public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken ct)
        {
            Runs.Enqueue(spec.FileName);
            var now = Interlocked.Increment(ref _running);
            lock (Runs) MaxConcurrent = Math.Max(MaxConcurrent, now);
            try { return await inner.RunAsync(spec, ct); }
            finally { Interlocked.Decrement(ref _running); }
        }
    }
}

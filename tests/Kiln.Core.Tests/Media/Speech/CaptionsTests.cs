using System.Text.Json;
using Kiln.Core.Media.Speech;

namespace Kiln.Core.Tests.Media.Speech;

public sealed class CaptionsTests
{
    private static Transcript Speech(int words, double secondsPerWord = 0.4, string? speaker = null)
    {
        var list = Enumerable.Range(0, words)
            .Select(i => new TranscriptWord(1 + i * secondsPerWord, 1 + i * secondsPerWord + secondsPerWord * 0.8, i % 10 == 9 ? $"word{i}." : $"word{i}"))
            .ToList();
        return new Transcript("en", list[^1].End + 1, [new TranscriptSegment(list[0].Start, list[^1].End, string.Join(' ', list.Select(w => w.Text)), list, speaker)], "test");
    }

    [Fact]
    public void Cues_keep_to_two_lines_of_42_characters_and_7_seconds_and_lose_no_word()
    {
        var transcript = Speech(120, secondsPerWord: 0.25);
        var cues = Captions.Cues(transcript);

        cues.Count.ShouldBeGreaterThan(5);
        foreach (var cue in cues)
        {
            var lines = cue.Text.Split('\n');
            lines.Length.ShouldBeLessThanOrEqualTo(2);
            lines.ShouldAllBe(l => l.Length <= 42);
            (cue.End - cue.Start).ShouldBeLessThanOrEqualTo(7);
        }
        string.Join(' ', cues.Select(c => c.Text.Replace('\n', ' '))).ShouldBe(transcript.Text);
        cues.Zip(cues.Skip(1)).ShouldAllBe(p => p.Second.Start >= p.First.End);
    }

    [Fact]
    public void Cues_start_and_end_on_word_timings()
    {
        var transcript = Speech(40);
        var starts = transcript.Segments[0].Words.Select(w => w.Start).ToHashSet();
        var ends = transcript.Segments[0].Words.Select(w => w.End).ToHashSet();

        foreach (var cue in Captions.Cues(transcript))
        {
            starts.ShouldContain(cue.Start);
            ends.ShouldContain(cue.End);
        }
    }

    [Fact]
    public void Long_cues_are_cut_by_time_when_words_are_slow()
    {
        // Ten slow words fit in two lines but take 15 s: the 7-second limit must cut them.
        var cues = Captions.Cues(Speech(10, secondsPerWord: 1.5));
        cues.Count.ShouldBeGreaterThanOrEqualTo(3);
        cues.ShouldAllBe(c => c.End - c.Start <= 7);
    }

    [Fact]
    public void Segments_without_word_timings_are_cut_with_times_shared_out_by_length()
    {
        var text = string.Join(' ', Enumerable.Repeat("a sentence that goes on", 12));
        var transcript = new Transcript("en", 30, [new TranscriptSegment(2, 26, text, [])], "srt");
        var cues = Captions.Cues(transcript);

        cues.Count.ShouldBeGreaterThan(1);
        cues[0].Start.ShouldBe(2);
        cues[^1].End.ShouldBe(26);
        string.Join(' ', cues.Select(c => c.Text.Replace('\n', ' '))).ShouldBe(text);
    }

    [Fact]
    public void Two_lines_are_balanced()
    {
        var lines = Captions.Layout("one two three four five six seven eight nine ten eleven twelve".Split(' '), 42);
        lines.Count.ShouldBe(2);
        Math.Abs(lines[0].Length - lines[1].Length).ShouldBeLessThan(8);
    }

    [Fact]
    public void WebVtt_has_its_header_dotted_times_and_a_voice_per_speaker()
    {
        var transcript = new Transcript("en", 4000, [new TranscriptSegment(3723.5, 3725.25, "Salt & pepper <3", [], "Ana")], "test");
        var vtt = Captions.ToWebVtt(transcript);

        vtt.ShouldBe("WEBVTT\n\n01:02:03.500 --> 01:02:05.250\n<v Ana>Salt &amp; pepper &lt;3\n");
    }

    [Fact]
    public void Srt_numbers_cues_from_one_with_comma_times()
    {
        var transcript = new Transcript("en", 9, [new TranscriptSegment(0, 1.5, "Hello there.", []), new TranscriptSegment(2, 3.001, "Bye.", [])], "test");
        Captions.ToSrt(transcript).ShouldBe("1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n00:00:02,000 --> 00:00:03,001\nBye.\n");
    }

    [Fact]
    public void Podcast_json_follows_the_podcasting_2_0_transcript_shape()
    {
        var transcript = Speech(30, speaker: "Host");
        using var json = JsonDocument.Parse(Captions.ToPodcastJson(transcript));

        json.RootElement.GetProperty("version").GetString().ShouldBe("1.0.0");
        var segments = json.RootElement.GetProperty("segments").EnumerateArray().ToList();
        segments.Count.ShouldBe(Captions.Cues(transcript).Count);
        segments[0].GetProperty("speaker").GetString().ShouldBe("Host");
        segments[0].GetProperty("startTime").GetDouble().ShouldBe(1);
        segments[0].GetProperty("endTime").GetDouble().ShouldBeGreaterThan(1);
        segments[0].GetProperty("body").GetString()!.ShouldStartWith("word0 word1");
        segments.ShouldAllBe(s => !s.GetProperty("body").GetString()!.Contains('\n'));
    }

    [Fact]
    public void Srt_round_trips_through_the_parser()
    {
        var transcript = Speech(60);
        var cues = Captions.Cues(transcript);
        var parsed = CaptionParser.Parse(Captions.ToSrt(cues), "en");

        parsed.Engine.ShouldBe("srt");
        parsed.Segments.Count.ShouldBe(cues.Count);
        for (var i = 0; i < cues.Count; i++)
        {
            parsed.Segments[i].Start.ShouldBe(cues[i].Start, 0.0005);
            parsed.Segments[i].End.ShouldBe(cues[i].End, 0.0005);
            parsed.Segments[i].Text.ShouldBe(cues[i].Text.Replace('\n', ' '));
        }
        Captions.ToSrt(Captions.Cues(parsed)).ShouldBe(Captions.ToSrt(cues));
    }

    [Fact]
    public void WebVtt_round_trips_with_speakers_and_escaped_text()
    {
        var transcript = new Transcript("en", 10,
        [
            new TranscriptSegment(0.5, 2, "Fish & chips <now>", [], "Speaker 1"),
            new TranscriptSegment(2.5, 4, "A --> B", [], null),
        ], "test");
        var parsed = CaptionParser.Parse(Captions.ToWebVtt(transcript));

        parsed.Engine.ShouldBe("webvtt");
        parsed.Segments.Select(s => (s.Start, s.End, s.Text, s.Speaker)).ShouldBe(
            [(0.5, 2, "Fish & chips <now>", "Speaker 1"), (2.5, 4, "A --> B", null)]);
    }

    [Fact]
    public void Parser_reads_what_real_files_hold()
    {
        var vtt = "\uFEFFWEBVTT - a title\r\nKind: captions\r\n\r\nNOTE made by hand\r\nsecond note line\r\n\r\nSTYLE\r\n::cue { color: red }\r\n\r\n"
            + "intro\r\n00:01.000 --> 00:02.500 align:start line:0\r\n<i>Hello</i> <c.loud>there</c>,\r\nfriend&nbsp;&amp; you\r\n\r\n"
            + "01:00:00.000 --> 01:00:01.000\r\n<v.loud Bob>Late <00:00:00.500>cue\r\n";
        var t = CaptionParser.Parse(vtt, "en");
        t.Segments.Select(s => (s.Start, s.End, s.Text, s.Speaker)).ShouldBe(
            [(1, 2.5, "Hello there, friend & you", null), (3600, 3601, "Late cue", "Bob")]);
        t.DurationSeconds.ShouldBe(3601);

        var srt = "1\r\n00:00:01,000 --> 00:00:02,000 X1:100 X2:200\r\n{\\an8}<b>Top</b>\r\n\r\n\r\n2\r\n00:00:00.500 --> 00:00:00,900\r\nFirst\r\n";
        CaptionParser.Parse(srt).Segments.Select(s => s.Text).ShouldBe(["First", "Top"]);
    }

    [Theory]
    [InlineData("1\n00:00:01,000 -> 00:00:02,000\nHi\n", 2, "expected a timing line")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000\nHi\n\nhello\n", 5, "expected a cue number")]
    [InlineData("1\n00:00:03,000 --> 00:00:02,000\nHi\n", 2, "ends before it starts")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nHi\n", 2, "no text")]
    [InlineData("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n00:00:03,000 --> 00:00:04,000\nThere\n", 5, "cue number is missing")]
    [InlineData("1\n00:00:01,000 --> 00:00:62,000\nHi\n", 2, "expected a timing line")]
    [InlineData("1\n", 1, "not followed by its timing line")]
    [InlineData("\n\n", 0, "holds no cues")]
    [InlineData("WEBVT\n\n00:01.000 --> 00:02.000\nHi\n", 1, "first line must be \"WEBVTT\"")]
    [InlineData("WEBVTT\n00:01.000 --> 00:02.000\nHi\n", 2, "blank line must separate")]
    [InlineData("WEBVTT\n\n00:01,000 --> 00:02.000\nHi\n", 3, "expected a timing line")]
    [InlineData("WEBVTT\n\nid\nnot a timing\nHi\n", 4, "expected a timing line")]
    [InlineData("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n00:03.000 --> 00:04.000\nThere\n", 5, "timing line inside")]
    [InlineData("WEBVTT\n\n", 0, "holds no cues")]
    public void Parser_names_the_line_and_the_problem_of_an_invalid_file(string text, int line, string problem)
    {
        var error = Should.Throw<CaptionFormatException>(() => text.StartsWith("WEBVT", StringComparison.Ordinal) ? CaptionParser.ParseWebVtt(text) : CaptionParser.ParseSrt(text));
        error.Line.ShouldBe(line);
        error.Message.ShouldContain(problem);
        if (line > 0) error.Message.ShouldContain($"line {line}:");
    }
}

using System.Text;
using Kiln.Core.Pipelines.Command;

namespace Kiln.Core.Tests.Pipelines.Command;

public sealed class CommandProtocolTests
{
    [Fact]
    public void Parses_progress_log_artifact_and_error_lines()
    {
        CommandProtocol.Parse("""{"type":"progress","percent":40,"step":"transcribe","message":"Halfway"}""")
            .ShouldBe(new ProgressMessage(40, "transcribe", "Halfway"));
        CommandProtocol.Parse("""{"type":"log","line":"loaded 3 files"}""").ShouldBe(new LogMessage("loaded 3 files"));
        CommandProtocol.Parse("""{"type":"artifact","path":"out/notes.md","name":"notes.md","contentType":"text/markdown"}""")
            .ShouldBe(new ArtifactMessage("out/notes.md", "notes.md", "text/markdown"));
        CommandProtocol.Parse("""{"type":"error","code":"no_speech","message":"No speech was found.","transient":true}""")
            .ShouldBe(new ErrorMessage("no_speech", "No speech was found.", true));
    }

    [Fact]
    public void Optional_fields_may_be_left_out()
    {
        CommandProtocol.Parse("""  {"type":"progress","percent":12.6}  """).ShouldBe(new ProgressMessage(13, null, null));
        CommandProtocol.Parse("""{"type":"artifact","path":"out/a.txt"}""").ShouldBe(new ArtifactMessage("out/a.txt", null, null));
        CommandProtocol.Parse("""{"type":"error"}""").ShouldBe(new ErrorMessage("command_error", "The command reported an error.", false));
    }

    [Theory]
    [InlineData("plain text output")]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"type\":\"progress\",\"percent\":40")]
    [InlineData("{not json at all}")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"type\":\"celebrate\"}")]
    [InlineData("{\"kind\":\"progress\",\"percent\":5}")]
    [InlineData("{\"type\":\"progress\",\"percent\":\"40\"}")]
    [InlineData("{\"type\":\"artifact\"}")]
    [InlineData("{\"type\":\"log\",\"line\":42}")]
    [InlineData("{\"type\":7}")]
    public void Malformed_or_unknown_lines_become_log_lines_verbatim(string line)
    {
        CommandProtocol.Parse(line).ShouldBe(new LogMessage(line));
    }

    [Fact]
    public void Deeply_nested_json_is_a_log_line_not_a_crash()
    {
        var line = """{"type":"log","line":"x","deep":""" + new string('[', 500) + new string(']', 500) + "}";
        CommandProtocol.Parse(line).ShouldBe(new LogMessage(line));
    }

    [Fact]
    public void Progress_is_clamped_and_user_facing_texts_are_cut()
    {
        CommandProtocol.Parse("""{"type":"progress","percent":250}""").ShouldBe(new ProgressMessage(100, null, null));
        CommandProtocol.Parse("""{"type":"progress","percent":-3}""").ShouldBe(new ProgressMessage(0, null, null));
        var long_ = new string('m', 5000);
        var p = (ProgressMessage)CommandProtocol.Parse($$"""{"type":"progress","percent":1,"step":"{{long_}}","message":"{{long_}}"}""");
        p.Step!.Length.ShouldBe(CommandProtocol.MaxStepChars + 1);
        p.Message!.Length.ShouldBe(CommandProtocol.MaxMessageChars + 1);
        p.Message.ShouldEndWith("…");
    }

    [Theory]
    [InlineData("Has Spaces")]
    [InlineData("UPPER")]
    [InlineData("")]
    [InlineData("weird/code")]
    public void An_error_code_that_is_not_an_identifier_becomes_the_generic_code(string code)
    {
        var e = (ErrorMessage)CommandProtocol.Parse($$"""{"type":"error","code":"{{code}}","message":"Broken."}""");
        e.Code.ShouldBe("command_error");
        e.Message.ShouldBe("Broken.");
    }

    [Fact]
    public async Task Reads_lines_and_trims_carriage_returns()
    {
        var reader = Reader("one\r\ntwo\n\nthree", 1024);
        var lines = await ReadAllAsync(reader);
        lines.ShouldBe([("one", false), ("two", false), ("", false), ("three", false)]);
    }

    [Fact]
    public async Task A_huge_line_is_cut_at_the_cap_while_streaming_and_the_next_line_is_intact()
    {
        // 64 MiB of one line, produced lazily: the reader must skip it, not buffer it.
        var huge = new GeneratedStream(64L * 1024 * 1024, "{\"type\":\"log\",\"line\":\"", "\"}\nnext line\n");
        var reader = new CappedLineReader(huge, 64 * 1024);
        var lines = await ReadAllAsync(reader);
        lines.Count.ShouldBe(2);
        lines[0].Truncated.ShouldBeTrue();
        Encoding.UTF8.GetByteCount(lines[0].Line).ShouldBe(64 * 1024);
        lines[0].Line.ShouldStartWith("{\"type\":\"log\"");
        lines[1].ShouldBe(("next line", false));
        huge.Position.ShouldBe(huge.Length);
    }

    [Fact]
    public async Task A_cut_line_never_ends_in_half_a_character()
    {
        // "é" is two bytes; a cap of 5 bytes falls inside the third one.
        var lines = await ReadAllAsync(Reader("ééééé\nok\n", 5));
        lines[0].ShouldBe(("éé", true));
        lines[1].ShouldBe(("ok", false));
    }

    [Fact]
    public async Task The_stderr_tail_keeps_the_last_bytes()
    {
        var tail = new TailBuffer(1024);
        var text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i}\n"));
        await tail.DrainAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), TestContext.Current.CancellationToken);
        tail.Truncated.ShouldBeTrue();
        var kept = tail.ToString();
        kept.Length.ShouldBeLessThanOrEqualTo(1024);
        kept.ShouldEndWith("line 1999\n");
    }

    private static CappedLineReader Reader(string text, int cap) => new(new MemoryStream(Encoding.UTF8.GetBytes(text)), cap);

    private static async Task<List<(string Line, bool Truncated)>> ReadAllAsync(CappedLineReader reader)
    {
        var lines = new List<(string, bool)>();
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line) lines.Add(line);
        return lines;
    }

    /// <summary>A prefix, <c>length</c> bytes of 'x', a suffix — generated as read, never held in memory.</summary>
    private sealed class GeneratedStream(long length, string prefix, string suffix) : Stream
    {
        private readonly byte[] _prefix = Encoding.UTF8.GetBytes(prefix);
        private readonly byte[] _suffix = Encoding.UTF8.GetBytes(suffix);
        private long _position;

        public override long Length => _prefix.Length + length + _suffix.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = 0;
            while (n < count && _position < Length)
            {
                buffer[offset + n++] = _position < _prefix.Length ? _prefix[_position]
                    : _position < _prefix.Length + length ? (byte)'x'
                    : _suffix[_position - _prefix.Length - length];
                _position++;
            }
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

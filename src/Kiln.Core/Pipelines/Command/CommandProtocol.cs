using System.Text;
using System.Text.Json;

namespace Kiln.Core.Pipelines.Command;

internal abstract record CommandMessage;

internal sealed record ProgressMessage(int Percent, string? Step, string? Message) : CommandMessage;

internal sealed record LogMessage(string Line) : CommandMessage;

internal sealed record ArtifactMessage(string Path, string? Name, string? ContentType) : CommandMessage;

internal sealed record ErrorMessage(string Code, string Message, bool Transient) : CommandMessage;

/// <summary>
/// The stdout protocol: one JSON object per line with a <c>type</c> of progress, log, artifact or error. Anything
/// else (plain text, malformed JSON, an unknown type, a message missing its fields) is a log line, so a tool that
/// prints ordinary output still works.
/// </summary>
internal static class CommandProtocol
{
    public const int MaxStepChars = 100;
    public const int MaxMessageChars = 1000;
    public const string GenericErrorCode = "command_error";

    public static CommandMessage Parse(string line)
    {
        var trimmed = line.AsSpan().Trim();
        if (trimmed.Length < 2 || trimmed[0] != '{') return new LogMessage(line);
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                return new LogMessage(line);
            switch (type.GetString())
            {
                case "progress" when root.TryGetProperty("percent", out var percent) && percent.ValueKind == JsonValueKind.Number:
                    return new ProgressMessage(
                        (int)Math.Round(Math.Clamp(percent.GetDouble(), 0, 100)),
                        Text(root, "step", MaxStepChars),
                        Text(root, "message", MaxMessageChars));
                case "log" when Text(root, "line", int.MaxValue) is { } logLine:
                    return new LogMessage(logLine);
                case "artifact" when Text(root, "path", 4096) is { Length: > 0 } path:
                    return new ArtifactMessage(path, Text(root, "name", 255), Text(root, "contentType", 255));
                case "error":
                    var code = Text(root, "code", 64);
                    return new ErrorMessage(
                        code is not null && IsCode(code) ? code : GenericErrorCode,
                        Text(root, "message", MaxMessageChars) is { Length: > 0 } m ? m : "The command reported an error.",
                        root.TryGetProperty("transient", out var t) && t.ValueKind == JsonValueKind.True);
                default:
                    return new LogMessage(line);
            }
        }
        catch (JsonException)
        {
            return new LogMessage(line);
        }
    }

    /// <summary>Error codes are stable identifiers: lowercase letters, digits, '_', '.' and '-'.</summary>
    public static bool IsCode(string s) =>
        s.Length is > 0 and <= 64 && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.' or '-');

    private static string? Text(JsonElement root, string name, int max)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String) return null;
        var s = v.GetString()!;
        return s.Length <= max ? s : s[..max] + "…";
    }
}

/// <summary>
/// Reads '\n'-terminated lines from a stream, never holding more than <c>maxLineBytes</c> of one line: the rest of
/// an over-long line is skipped as it streams past, and the line is returned cut (at a UTF-8 boundary) and marked.
/// </summary>
internal sealed class CappedLineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private readonly MemoryStream _line = new();
    private bool _truncated;

    public async Task<(string Line, bool Truncated)?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, ct);
                if (_end == 0)
                {
                    if (_line.Length == 0 && !_truncated) return null;
                    return Take();
                }
            }
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var chunkEnd = newline < 0 ? _end : newline;
            var room = maxLineBytes - (int)_line.Length;
            var count = chunkEnd - _start;
            if (count > room) { _truncated = true; count = Math.Max(0, room); }
            _line.Write(_buffer, _start, count);
            if (newline < 0) { _start = _end; continue; }
            _start = newline + 1;
            return Take();
        }
    }

    private (string, bool) Take()
    {
        var bytes = _line.GetBuffer().AsSpan(0, (int)_line.Length);
        if (_truncated) bytes = bytes[..Utf8Boundary(bytes)];
        else if (bytes.Length > 0 && bytes[^1] == '\r') bytes = bytes[..^1];
        var result = (Encoding.UTF8.GetString(bytes), _truncated);
        _line.SetLength(0);
        _truncated = false;
        return result;
    }

    /// <summary>The length of <paramref name="bytes"/> without a multi-byte character cut off at its end.</summary>
    private static int Utf8Boundary(ReadOnlySpan<byte> bytes)
    {
        var i = bytes.Length - 1;
        while (i >= 0 && bytes.Length - i <= 4 && (bytes[i] & 0xC0) == 0x80) i--;
        if (i < 0) return bytes.Length;
        var lead = bytes[i];
        var needed = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return bytes.Length - i >= needed ? bytes.Length : i;
    }
}

/// <summary>Keeps the last <c>max</c> bytes of a stream (stderr): the end of a tool's complaints is what explains its failure.</summary>
internal sealed class TailBuffer(int max)
{
    private readonly MemoryStream _data = new();
    public bool Truncated { get; private set; }

    public async Task DrainAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            _data.Write(buffer, 0, n);
            if (_data.Length > 2L * max) Trim();
        }
        if (_data.Length > max) Trim();
    }

    private void Trim()
    {
        var keep = _data.GetBuffer().AsSpan((int)_data.Length - max, max).ToArray();
        _data.SetLength(0);
        _data.Write(keep);
        Truncated = true;
    }

    public override string ToString()
    {
        var bytes = _data.GetBuffer().AsSpan(0, (int)_data.Length);
        // A kept tail may begin inside a multi-byte character: skip its continuation bytes.
        var skip = 0;
        while (Truncated && skip < bytes.Length && skip < 3 && (bytes[skip] & 0xC0) == 0x80) skip++;
        return Encoding.UTF8.GetString(bytes[skip..]);
    }
}

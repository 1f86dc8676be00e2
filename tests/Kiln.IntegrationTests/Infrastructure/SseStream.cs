using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace Kiln.IntegrationTests.Infrastructure;

public sealed record SseMessage(string? Id, string Type, string Data, TimeSpan At, DateTime ReceivedUtc)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
    public long IdNumber => long.Parse(Id!, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An open Server-Sent Events connection read in the background, like a browser's EventSource (without its reconnects).</summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _cts = new();
    private readonly Channel<SseMessage> _messages = Channel.CreateUnbounded<SseMessage>();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _reader;

    public List<SseMessage> Received { get; } = [];
    public int Comments { get; private set; }
    /// <summary>Why the connection broke, when it did not end normally.</summary>
    public Exception? Failure { get; private set; }
    public string? LastEventId { get; private set; }

    private SseStream(HttpResponseMessage response)
    {
        _response = response;
        _reader = Task.Run(ReadAsync);
    }

    public static async Task<SseStream> OpenAsync(HttpClient client, string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, await PeekAsync(response));
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        return new SseStream(response);
    }

    private static async Task<string> PeekAsync(HttpResponseMessage r) =>
        r.IsSuccessStatusCode ? "" : await r.Content.ReadAsStringAsync();

    private async Task ReadAsync()
    {
        try
        {
            using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_cts.Token));
            string? id = null, type = null, data = null;
            while (await reader.ReadLineAsync(_cts.Token) is { } line)
            {
                if (line.StartsWith(':')) Comments++;
                else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                else if (line.Length == 0)
                {
                    if (id is not null) LastEventId = id;
                    if (type is not null) await _messages.Writer.WriteAsync(new SseMessage(id, type, data ?? "", _clock.Elapsed, DateTime.UtcNow));
                    id = type = data = null;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) when (ex is IOException or HttpRequestException) { Failure = ex; }
        finally { _messages.Writer.TryComplete(); }
    }

    /// <summary>Reads messages until one matches; everything read is kept in <see cref="Received"/>.</summary>
    public async Task<SseMessage> WaitForAsync(Func<SseMessage, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var m = await _messages.Reader.ReadAsync(cts.Token);
                Received.Add(m);
                if (match(m)) return m;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No matching event; received: {Dump()}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The stream ended ({Failure?.Message ?? "closed by the server"}); received: {Dump()}", Failure);
        }
    }

    /// <summary>Reads messages (if needed) until <paramref name="condition"/> holds for everything received so far.</summary>
    public async Task UntilAsync(Func<IReadOnlyList<SseMessage>, bool> condition, TimeSpan? timeout = null)
    {
        if (condition(Received)) return;
        await WaitForAsync(_ => condition(Received), timeout);
    }

    private string Dump() => string.Join(" | ", Received.Select(r => $"{r.Id} {r.Type} {r.Data}"));

    /// <summary>Whatever arrives within <paramref name="window"/>.</summary>
    public async Task<List<SseMessage>> DrainAsync(TimeSpan window)
    {
        var got = new List<SseMessage>();
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                var m = await _messages.Reader.ReadAsync(cts.Token);
                Received.Add(m);
                got.Add(m);
            }
        }
        catch (OperationCanceledException) { }
        catch (ChannelClosedException) { }
        return got;
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _response.Dispose();
        try { await _reader; } catch (Exception) { }
        _cts.Dispose();
    }
}

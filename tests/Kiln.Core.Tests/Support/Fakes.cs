using System.Collections.Concurrent;
using System.Text.Json;
using Kiln.Core.Pipelines;

namespace Kiln.Core.Tests.Support;

/// <summary>Records progress and log lines so tests can assert on them.</summary>
public sealed class RecordingReporter : IPipelineReporter
{
    public ConcurrentQueue<(int Percent, string Step, string? Message)> Progress { get; } = new();
    public ConcurrentQueue<string> Lines { get; } = new();

    public Task ProgressAsync(int percent, string step, string? message, CancellationToken ct)
    {
        Progress.Enqueue((percent, step, message));
        return Task.CompletedTask;
    }

    public Task LogAsync(string line, CancellationToken ct)
    {
        Lines.Enqueue(line);
        return Task.CompletedTask;
    }
}

/// <summary>Copies artifacts into a directory, like the CLI does.</summary>
public sealed class CopyingArtifactSink(string directory) : IArtifactSink
{
    public List<(string Name, string ContentType)> Added { get; } = [];

    public async Task AddAsync(string name, string contentType, string localPath, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        await using (var source = File.OpenRead(localPath))
        await using (var target = File.Create(Path.Combine(directory, name)))
            await source.CopyToAsync(target, ct);
        Added.Add((name, contentType));
    }
}

/// <summary>A temp directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kiln-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class Json
{
    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static JsonElement Pages(int pages) => Parse($$"""{"pages":{{pages}}}""");
}

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

/// <summary>Builds what the platform gives a pipeline: typed options (validated as the API validates them), inputs by slot, a context.</summary>
public static class PipelineTesting
{
    public static InputFacts Pdf(int? pages, string slot = "source", string name = "doc.pdf") =>
        InputFacts.From(slot, "pdf", name, 1234, pages is null ? "{}" : $$"""{"pages":{{pages}}}""");

    public static object Options(IPipeline pipeline, string? json)
    {
        var parsed = pipeline.ParseOptions(json is null ? default : Json.Parse(json));
        return parsed.Value ?? throw new InvalidOperationException($"{parsed.Error!.Code}: {parsed.Error.Message}");
    }

    public static PipelineContext Context(IPipeline pipeline, IServiceProvider services, string? optionsJson, string scratch,
        IPipelineReporter reporter, IArtifactSink sink, params PipelineInput[] inputs) => new()
    {
        JobId = Guid.NewGuid(),
        Inputs = new InputSet<PipelineInput>(inputs),
        Options = Options(pipeline, optionsJson),
        ScratchDirectory = Directory.CreateDirectory(scratch).FullName,
        Reporter = reporter,
        Artifacts = sink,
        Services = services,
    };

    public static PipelineInput PdfInput(string path, int? pages, string slot = "source") => new(slot, path, Pdf(pages, slot, Path.GetFileName(path)));
}

using Kiln.Core.Pipelines;
using Spectre.Console;

namespace Kiln.Cli.Infrastructure;

/// <summary>Copies each artifact into the output directory and remembers what it wrote.</summary>
public sealed class DirectoryArtifactSink(string directory) : IArtifactSink
{
    public List<(string Name, string ContentType, string Path, long Size)> Written { get; } = [];

    public async Task AddAsync(string name, string contentType, string localPath, CancellationToken ct)
    {
        // Artifact names come from pipeline code, but a path separator would still escape --out.
        if (name != Path.GetFileName(name)) throw new ArgumentException($"Artifact name \"{name}\" must be a plain file name.", nameof(name));
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, name);
        if (Path.GetFullPath(target) != Path.GetFullPath(localPath))
        {
            await using var source = File.OpenRead(localPath);
            await using var output = File.Create(target);
            await source.CopyToAsync(output, ct);
        }
        Written.Add((name, contentType, target, new FileInfo(target).Length));
    }
}

/// <summary>Plain "[ 35%] step: message" lines, for redirected output and CI logs.</summary>
public sealed class PlainReporter(IAnsiConsole console) : IPipelineReporter
{
    private int _last = -1;
    private string? _lastMessage;

    public Task ProgressAsync(int percent, string step, string? message, CancellationToken ct)
    {
        if (percent == _last && message == _lastMessage) return Task.CompletedTask;
        (_last, _lastMessage) = (percent, message);
        console.WriteLine($"[{percent,3}%] {step}: {message}");
        return Task.CompletedTask;
    }

    public Task LogAsync(string line, CancellationToken ct)
    {
        console.WriteLine($"       {line}");
        return Task.CompletedTask;
    }
}

/// <summary>Drives one Spectre progress task; log lines print above the bar.</summary>
public sealed class SpectreReporter(IAnsiConsole console, ProgressTask task) : IPipelineReporter
{
    public Task ProgressAsync(int percent, string step, string? message, CancellationToken ct)
    {
        task.Value = Math.Clamp(percent, 0, 100);
        task.Description = Markup.Escape(message is null ? step : $"{step}: {message}");
        return Task.CompletedTask;
    }

    public Task LogAsync(string line, CancellationToken ct)
    {
        console.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
        return Task.CompletedTask;
    }
}

using System.Globalization;
using System.Text.Json;
using Kiln.Core.Pipelines.Command;

namespace Kiln.Core.Tests.Pipelines.Command;

/// <summary>A scratch directory, a place for test scripts outside it, and the definitions and events the runner needs.</summary>
public sealed class CommandTestKit : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("kiln-cmd-");

    public CommandTestKit()
    {
        Scratch = Directory.CreateDirectory(Path.Combine(_root.FullName, "scratch")).FullName;
        Tools = Directory.CreateDirectory(Path.Combine(_root.FullName, "tools")).FullName;
    }

    /// <summary>The job's scratch directory.</summary>
    public string Scratch { get; }

    /// <summary>Beside scratch, not inside it: where test scripts live and where "outside" files go.</summary>
    public string Tools { get; }

    public string Root => _root.FullName;

    public CommandEvents Events { get; } = new();

    /// <summary>Short grace period so tests of the KILL fallback do not wait five seconds.</summary>
    public CommandRunner Runner { get; } = new(new CommandRunnerOptions { KillGracePeriod = TimeSpan.FromMilliseconds(500) });

    /// <summary>A bash script as a command pipeline: <c>/bin/bash script.sh [arguments…]</c>.</summary>
    public CommandPipelineDefinition Bash(string script, params string[] arguments)
    {
        var path = Path.Combine(Tools, $"tool-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, "set -u\n" + script + "\n");
        return new CommandPipelineDefinition
        {
            Id = "test-tool",
            Name = "Test tool",
            Executable = "/bin/bash",
            Arguments = [path, .. arguments],
            TimeoutSeconds = 60,
        };
    }

    public Task<CommandResult> RunAsync(CommandPipelineDefinition definition, IReadOnlyDictionary<string, string>? inputs = null, string? optionsJson = null, CancellationToken? ct = null) =>
        Runner.RunAsync(definition, Invocation(inputs, optionsJson), Events, ct ?? TestContext.Current.CancellationToken);

    public CommandInvocation Invocation(IReadOnlyDictionary<string, string>? inputs = null, string? optionsJson = null) =>
        new(inputs ?? new Dictionary<string, string>(), optionsJson is null ? default : JsonDocument.Parse(optionsJson).RootElement.Clone(), Scratch);

    public static bool IsAlive(int pid)
    {
        // A killed process shows as a zombie until its parent reaps it; a zombie is not running.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException) { return false; }
    }

    public static async Task<bool> EventuallyAsync(Func<bool> condition, double seconds = 5)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(25);
        }
        return true;
    }

    public static int Pid(string line) => int.Parse(line.Trim(), CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try { _root.Delete(recursive: true); }
        catch (IOException) { /* a killed tool's file may linger for a moment */ }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Records every callback, in order.</summary>
public sealed class CommandEvents : ICommandEvents
{
    private readonly Lock _lock = new();
    public List<string> Order { get; } = [];
    public List<CommandProgress> Progress { get; } = [];
    public List<string> Logs { get; } = [];
    public List<CommandArtifact> Artifacts { get; } = [];
    public Func<string, Task>? OnLog { get; set; }

    public Task ProgressAsync(CommandProgress progress, CancellationToken ct)
    {
        lock (_lock) { Progress.Add(progress); Order.Add($"progress {progress.Percent}"); }
        return Task.CompletedTask;
    }

    public Task LogAsync(string line, CancellationToken ct)
    {
        lock (_lock) { Logs.Add(line); Order.Add($"log {line}"); }
        return OnLog?.Invoke(line) ?? Task.CompletedTask;
    }

    public Task ArtifactAsync(CommandArtifact artifact, CancellationToken ct)
    {
        lock (_lock) { Artifacts.Add(artifact); Order.Add($"artifact {artifact.Name}"); }
        return Task.CompletedTask;
    }

    public string[] LogsSnapshot() { lock (_lock) return [.. Logs]; }
}

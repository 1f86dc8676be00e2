using Kiln.Core.Pipelines;

namespace Kiln.Core.Tests.Support;

/// <summary>Checkpoints kept in a directory, recording what was saved: the pipelines' resume tests share it.</summary>
public sealed class DirectoryCheckpoints(string root) : ICheckpointStore
{
    public List<string> Saved { get; } = [];

    public Task<bool> TryRestoreAsync(string name, string directory, CancellationToken ct)
    {
        var from = Path.Combine(root, name);
        if (!Directory.Exists(from)) return Task.FromResult(false);
        Directory.CreateDirectory(directory);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(directory, Path.GetFileName(f)), overwrite: true);
        return Task.FromResult(true);
    }

    public Task SaveAsync(string name, string directory, CancellationToken ct)
    {
        var to = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        foreach (var f in Directory.GetFiles(directory)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
        Saved.Add(name);
        return Task.CompletedTask;
    }
}

using System.Text.Json;
using Kiln.Core.Storage;

namespace Kiln.Core.Pipelines;

/// <summary>
/// Durable outputs of finished steps, kept with the job rather than the attempt, so a retry after a crash or a
/// hand-back resumes after the last finished step (an audiobook chapter, a dubbing language).
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Restores the files saved under <paramref name="name"/> into <paramref name="directory"/>; false when there is none.</summary>
    Task<bool> TryRestoreAsync(string name, string directory, CancellationToken ct);

    /// <summary>Saves every file directly in <paramref name="directory"/> under <paramref name="name"/>. The manifest is written last,
    /// so a checkpoint cut short by a crash is never restored half.</summary>
    Task SaveAsync(string name, string directory, CancellationToken ct);
}

public sealed class NoCheckpoints : ICheckpointStore
{
    public static readonly NoCheckpoints Instance = new();
    public Task<bool> TryRestoreAsync(string name, string directory, CancellationToken ct) => Task.FromResult(false);
    public Task SaveAsync(string name, string directory, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Checkpoints in the blob store under <c>ws/{ws}/jobs/{job}/checkpoints/{name}/</c>; deleted with the job's blobs.</summary>
public sealed class BlobCheckpointStore(IBlobStore blobs, Guid workspaceId, Guid jobId) : ICheckpointStore
{
    private const string Manifest = "_manifest.json";

    private string Prefix(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
            throw new ArgumentException($"Invalid checkpoint name '{name}'.", nameof(name));
        return $"{BlobKeys.JobPrefix(workspaceId, jobId)}checkpoints/{name}/";
    }

    public async Task<bool> TryRestoreAsync(string name, string directory, CancellationToken ct)
    {
        var prefix = Prefix(name);
        if (await blobs.StatAsync(prefix + Manifest, ct) is null) return false;
        string[] files;
        await using (var m = await blobs.OpenReadAsync(prefix + Manifest, ct))
            files = await JsonSerializer.DeserializeAsync<string[]>(m, cancellationToken: ct) ?? [];
        Directory.CreateDirectory(directory);
        foreach (var file in files)
        {
            await using var source = await blobs.OpenReadAsync(prefix + file, ct);
            await using var target = File.Create(Path.Combine(directory, file));
            await source.CopyToAsync(target, ct);
        }
        return true;
    }

    public async Task SaveAsync(string name, string directory, CancellationToken ct)
    {
        var prefix = Prefix(name);
        var files = Directory.GetFiles(directory).Select(Path.GetFileName).OfType<string>().Where(f => f != Manifest).Order(StringComparer.Ordinal).ToArray();
        foreach (var file in files)
        {
            await using var f = File.OpenRead(Path.Combine(directory, file));
            await blobs.PutAsync(prefix + file, f, "application/octet-stream", ct);
        }
        using var manifest = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(files));
        await blobs.PutAsync(prefix + Manifest, manifest, "application/json", ct);
    }
}

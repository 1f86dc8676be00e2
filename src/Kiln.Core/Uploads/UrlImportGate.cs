using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>
/// Caps how many link imports one workspace runs at once in this process. Each import can hold a connection and a
/// file for up to <see cref="UploadOptions.UrlTimeout"/>; the per-minute API rate limit alone would still let one
/// workspace start hundreds of them together.
/// </summary>
public sealed class UrlImportGate(IOptions<UploadOptions> options)
{
    private readonly Dictionary<Guid, int> _running = [];

    public int Limit => Math.Max(1, options.Value.MaxConcurrentUrlImports);

    /// <summary>A slot to dispose when the import ends, or null when the workspace already uses all of them.</summary>
    public IDisposable? TryEnter(Guid workspaceId)
    {
        lock (_running)
        {
            var running = _running.GetValueOrDefault(workspaceId);
            if (running >= Limit) return null;
            _running[workspaceId] = running + 1;
        }
        return new Slot(this, workspaceId);
    }

    private void Leave(Guid workspaceId)
    {
        lock (_running)
        {
            if (_running.GetValueOrDefault(workspaceId) <= 1) _running.Remove(workspaceId);
            else _running[workspaceId]--;
        }
    }

    private sealed class Slot(UrlImportGate gate, Guid workspaceId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) gate.Leave(workspaceId);
        }
    }
}

using System.Runtime.InteropServices;

namespace Kiln.Core.Storage;

/// <summary>
/// Durability of the local store's uploads: an object store acknowledges an object once it is durable, so a completed
/// upload's bytes are flushed (<c>fsync</c>) before the object appears, and the directory that received the rename is
/// flushed after it, so a crash cannot bring back a Ready upload whose file is missing.
/// </summary>
public sealed partial class LocalDiskBlobStore
{
    private const int O_RDONLY = 0;
    private const uint SYNC_FILE_RANGE_WRITE = 2;

    /// <summary>Flushes a directory's entries (a rename into it) to disk; a no-op where .NET cannot open a directory.</summary>
    private static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        // Read-only opens a directory on Linux; O_DIRECTORY is left out because its value differs by architecture (0x10000 on x86-64 is O_DIRECT on arm64).
        var fd = open(dir, O_RDONLY);
        if (fd < 0) throw new IOException($"Could not open '{dir}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (fsync(fd) != 0) throw new IOException($"Could not flush '{dir}' to disk (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>
    /// Asks the kernel to start writing a just-received part to disk (<c>sync_file_range</c>), so the disk works while
    /// the next parts arrive and completion's fsync has little left to flush. Queued off the request (submitting 8 MiB
    /// of writes can block on the device queue) through a descriptor of its own: the request's handle carries the
    /// upload's shared lock, which must end with the request or completion would find the upload busy.
    /// A hint only: completion's fsync is what makes the object durable.
    /// </summary>
    private static void StartWriteback(string path, long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            var fd = open(path, O_RDONLY);
            if (fd < 0) return; // completed or aborted meanwhile
            _ = sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
            _ = close(fd);
        }, null);
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int sync_file_range(int fd, long offset, long nbytes, uint flags);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int close(int fd);
}

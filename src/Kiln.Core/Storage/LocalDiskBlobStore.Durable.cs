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
    private const int O_DIRECTORY = 0x10000; // Linux (x86-64 and arm64)

    /// <summary>Flushes a directory's entries (a rename into it) to disk; a no-op where .NET cannot open a directory.</summary>
    private static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = open(dir, O_RDONLY | O_DIRECTORY);
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

using System.Runtime.InteropServices;

namespace Kiln.Core.Pipelines.Command;

/// <summary>The few libc calls the sandbox needs that .NET does not expose: signalling a process group, realpath, and a file's type.</summary>
internal static class Posix
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_TYPE = 0x1;
    private const uint STATX_SIZE = 0x200;
    private const int S_IFMT = 0xF000;
    private const int S_IFREG = 0x8000;

    /// <summary>Sends <paramref name="signal"/> to every process in group <paramref name="pgid"/>; false when none is left.</summary>
    public static bool KillGroup(int pgid, int signal) => pgid > 1 && kill(-pgid, signal) == 0;

    /// <summary>The canonical path with every symbolic link resolved; null when a component does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = realpath(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { free(p); }
    }

    /// <summary>Whether <paramref name="path"/> itself (not a link target) is a regular file, and its size.</summary>
    public static (bool IsRegularFile, long Size)? Stat(string path)
    {
        // struct statx has the same layout on every architecture: stx_mode is a u16 at 28, stx_size a u64 at 40.
        var buffer = new byte[256];
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, buffer) != 0) return null;
        var mode = BitConverter.ToUInt16(buffer, 28);
        var size = BitConverter.ToInt64(buffer, 40);
        return ((mode & S_IFMT) == S_IFREG, size);
    }

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void free(IntPtr p);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}

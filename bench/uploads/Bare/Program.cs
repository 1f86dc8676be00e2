// The yardstick for uploads: ASP.NET Core on Kestrel with nothing but routing, taking a multipart upload the way
// Kiln's API hands it out (POST /api/uploads → one PUT per part → POST /complete), so bench/uploads/upload.py drives
// both unchanged. Each part's bytes are written at (n − 1) × partSize of one file straight from Kestrel's pipe
// buffers and their write-back started (sync_file_range, off the request); completion flushes (fsync), renames and
// flushes the directory, as Kiln does. No auth, database, hash, validation or part records: what is left is HTTP and
// the disk.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
var app = builder.Build();
var root = Directory.CreateDirectory(Environment.GetEnvironmentVariable("BARE_DIR") ?? Path.Combine(Path.GetTempPath(), "kiln-upload-bare")).FullName;
const long PartSize = 8 << 20;
var uploads = new ConcurrentDictionary<string, SafeFileHandleBox>();

app.MapPost("/api/uploads", async (HttpContext http) =>
{
    using var doc = await JsonDocument.ParseAsync(http.Request.Body);
    var size = doc.RootElement.GetProperty("size").GetInt64();
    var id = Guid.NewGuid().ToString("N");
    var path = Path.Combine(root, id + ".part");
    uploads[id] = new SafeFileHandleBox(path, File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite));
    var count = (int)Math.Max(1, (size + PartSize - 1) / PartSize);
    var baseUrl = $"{http.Request.Scheme}://{http.Request.Host}";
    var parts = Enumerable.Range(1, count).Select(n => new { partNumber = n, url = $"{baseUrl}/blobs/{id}?part={n}", method = "PUT", headers = new Dictionary<string, string>() });
    return Results.Json(new { id, partSize = PartSize, parts });
});

app.MapPut("/blobs/{id}", async (string id, int part, HttpContext http) =>
{
    if (!uploads.TryGetValue(id, out var upload)) return Results.NotFound();
    var reader = http.Request.BodyReader;
    var offset = (part - 1) * PartSize;
    var segments = new List<ReadOnlyMemory<byte>>();
    while (true)
    {
        var result = await reader.ReadAsync();
        var buffer = result.Buffer;
        if (!buffer.IsEmpty)
        {
            segments.Clear();
            foreach (var segment in buffer) segments.Add(segment);
            RandomAccess.Write(upload.Handle, segments, offset);
            offset += buffer.Length;
        }
        reader.AdvanceTo(buffer.End);
        if (result.IsCompleted) break;
    }
    // As Kiln does: start writing the part to disk now, off the request, so completion's fsync finds little left.
    var (path, from, length) = (upload.Path, (part - 1) * PartSize, offset - (part - 1) * PartSize);
    ThreadPool.UnsafeQueueUserWorkItem(_ =>
    {
        var fd = Native.open(path, 0);
        if (fd < 0) return;
        _ = Native.sync_file_range(fd, from, length, 2 /* SYNC_FILE_RANGE_WRITE */);
        _ = Native.close(fd);
    }, null);
    http.Response.Headers.ETag = $"\"{part}\"";
    return Results.Ok();
});

app.MapPost("/api/uploads/{id}/complete", (string id) =>
{
    if (!uploads.TryRemove(id, out var upload)) return Results.NotFound();
    RandomAccess.FlushToDisk(upload.Handle);
    upload.Handle.Dispose();
    var target = Path.ChangeExtension(upload.Path, ".done");
    File.Move(upload.Path, target);
    FsyncDirectory(root);
    if (Environment.GetEnvironmentVariable("BARE_KEEP") != "1") File.Delete(target); // the bench measures the path, not the disk filling up
    return Results.Json(new { status = "ready" });
});

app.Run();

static void FsyncDirectory(string dir)
{
    var fd = Native.open(dir, 0);
    if (fd < 0) throw new IOException($"open {dir}: errno {Marshal.GetLastPInvokeError()}");
    _ = Native.fsync(fd);
    _ = Native.close(fd);
}

internal sealed record SafeFileHandleBox(string Path, Microsoft.Win32.SafeHandles.SafeFileHandle Handle);

internal static class Native
{
    [DllImport("libc", SetLastError = true)]
    internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    internal static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    internal static extern int sync_file_range(int fd, long offset, long nbytes, uint flags);

    [DllImport("libc", SetLastError = true)]
    internal static extern int close(int fd);
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kiln.Core.Storage;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// A real S3-protocol server for tests: s3rver (from the repo's npm devDependencies) on a free loopback port with a
/// fresh directory and a <c>kiln</c> bucket. s3rver does not verify SigV4 signatures, so it tests the protocol,
/// not authorization. Use as an xUnit class or assembly fixture.
/// </summary>
public sealed class S3Server : IAsyncLifetime
{
    public const string Bucket = "kiln";
    private Process? _process;
    private readonly System.Text.StringBuilder _log = new();

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kiln-s3rver-").FullName;
    public int Port { get; private set; }
    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    public S3StoreOptions StoreOptions => new()
    {
        ServiceUrl = ServiceUrl,
        Region = "us-east-1",
        Bucket = Bucket,
        // s3rver's built-in development credentials.
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
        ForcePathStyle = true,
    };

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kiln.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("Could not find the repository root (Kiln.slnx) above " + AppContext.BaseDirectory);
    }

    public async ValueTask InitializeAsync()
    {
        var root = RepoRoot();
        var script = Path.Combine(root, "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
            throw new InvalidOperationException($"s3rver is not installed. Run `npm install` in {root} (it is a devDependency in package.json).");

        Port = FreePort();
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var a in new[] { script, "--address", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--directory", Directory, "--configure-bucket", Bucket, "--silent" })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start node.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"s3rver exited with {_process.ExitCode}: {Log}");
            try
            {
                // The bucket answering (not just the port) means --configure-bucket has run.
                var response = await http.GetAsync($"{ServiceUrl}/{Bucket}");
                if (response.StatusCode != HttpStatusCode.NotFound) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"s3rver did not start on port {Port}: {Log}");
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) if (_log.Length < 64 * 1024) _log.AppendLine(line);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

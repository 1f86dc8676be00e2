using System.Diagnostics;
using Kiln.Core.Data;
using Kiln.Core.Tests.Support;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>A real Kiln.Worker process sharing the test host's database and blob store.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    public string WorkerId { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output { get { lock (_output) return _output.ToString(); } }

    private WorkerProcess(Process process, string workerId)
    {
        _process = process;
        WorkerId = workerId;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static WorkerProcess Start(DatabaseOptions db, S3Server? s3, string blobPath, string workerId, int graceSeconds = 20,
        IDictionary<string, string>? settings = null)
    {
        var dll = Path.Combine(S3Server.RepoRoot(), "src", "Kiln.Worker", "bin", "Debug", "net10.0", "Kiln.Worker.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"Build the solution first: {dll} is missing.");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        var env = psi.Environment;
        env["DOTNET_ENVIRONMENT"] = "Testing";
        env["Kiln__Database__Provider"] = db.Provider.ToString();
        env["Kiln__Database__ConnectionString"] = db.ConnectionString;
        env["Kiln__Database__MigrateOnStartup"] = "false";
        env["Kiln__Pipelines__Diagnostics"] = "true";
        env["Kiln__Worker__WorkerId"] = workerId;
        env["Kiln__Worker__Concurrency"] = "2";
        env["Kiln__Worker__ShutdownGraceSeconds"] = graceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["Kiln__Jobs__LeaseSeconds"] = "3";
        env["Kiln__Jobs__HeartbeatSeconds"] = "0.3";
        env["Kiln__Jobs__RescueIntervalSeconds"] = "0.5";
        env["Kiln__Jobs__PollSeconds"] = "0.2";
        env["Kiln__Accounts__DefaultMaxConcurrentJobs"] = "10";
        env["Logging__LogLevel__Default"] = "Information";
        if (s3 is not null)
        {
            env["Kiln__Storage__Provider"] = "S3";
            env["Kiln__Storage__S3__ServiceUrl"] = s3.ServiceUrl;
            env["Kiln__Storage__S3__Bucket"] = S3Server.Bucket;
            env["Kiln__Storage__S3__AccessKey"] = "S3RVER";
            env["Kiln__Storage__S3__SecretKey"] = "S3RVER";
        }
        else
        {
            env["Kiln__Storage__Provider"] = "Local";
            env["Kiln__Storage__LocalPath"] = blobPath;
        }
        // Extra settings as Kiln:Section:Key, passed the way an operator would: as environment variables.
        if (settings is not null) foreach (var (k, v) in settings) env[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        return new WorkerProcess(Process.Start(psi)!, workerId);
    }

    public static IDictionary<string, string?> S3Settings(S3Server s3) => new Dictionary<string, string?>
    {
        ["Kiln:Storage:Provider"] = "S3",
        ["Kiln:Storage:S3:ServiceUrl"] = s3.ServiceUrl,
        ["Kiln:Storage:S3:Bucket"] = S3Server.Bucket,
        ["Kiln:Storage:S3:AccessKey"] = "S3RVER",
        ["Kiln:Storage:S3:SecretKey"] = "S3RVER",
    };

    public void Kill() => _process.Kill(entireProcessTree: false); // SIGKILL on Linux

    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kiln.Bench.Chaos;

/// <summary>
/// One child process of the stack (PostgreSQL's postmaster is driven through pg_ctl instead): started with its
/// environment, its output appended to a log file in the run directory, killed by its own PID only.
/// </summary>
internal sealed class Child : IAsyncDisposable
{
    private readonly ProcessStartInfo _psi;
    private readonly string _log;
    private Process? _process;

    public string Name { get; }
    public int Pid => _process?.Id ?? 0;
    public bool Running => _process is { HasExited: false };

    public Child(string name, ProcessStartInfo psi, string logDir)
    {
        Name = name;
        _psi = psi;
        _psi.UseShellExecute = false;
        _psi.RedirectStandardOutput = true;
        _psi.RedirectStandardError = true;
        _log = Path.Combine(logDir, $"{name}.log");
    }

    public void Start()
    {
        var p = Process.Start(_psi) ?? throw new InvalidOperationException($"could not start {Name}");
        var writer = TextWriter.Synchronized(new StreamWriter(_log, append: true) { AutoFlush = true });
        writer.WriteLine($"--- {DateTime.UtcNow:O} started pid {p.Id}");
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) writer.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) writer.WriteLine(e.Data); };
        p.Exited += (_, _) => { try { writer.WriteLine($"--- {DateTime.UtcNow:O} exited"); } catch (ObjectDisposedException) { } };
        p.EnableRaisingEvents = true;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
    }

    /// <summary>SIGKILL, as in a crash (the process only: a pipeline's child process is orphaned, as it would be).</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } p) return;
        p.Kill(entireProcessTree: false);
        await p.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        _process?.Dispose();
    }
}

/// <summary>
/// PostgreSQL + s3rver + `kiln migrate` + W web processes (no embedded worker) + M Kiln.Worker processes, all on
/// loopback ports of this machine, in one run directory that is deleted afterwards.
/// </summary>
internal sealed class Stack : IAsyncDisposable
{
    public const string Bucket = "kiln";
    private readonly ChaosOptions _o;
    private readonly string _pgBin;
    private readonly bool _asRoot = Environment.UserName == "root";

    public string Dir { get; }
    public string ScratchPath => Path.Combine(Dir, "scratch");
    public string S3Dir => Path.Combine(Dir, "s3");
    public string LogDir => Path.Combine(Dir, "logs");
    public int PgPort { get; } = FreePort();
    public int S3Port { get; } = FreePort();
    public string ConnectionString => $"Host=127.0.0.1;Port={PgPort};Username=kiln;Database=kiln;Timeout=3;Maximum Pool Size=50";
    public string S3Url => $"http://127.0.0.1:{S3Port}";
    public Child S3 { get; }
    public List<(Child Process, int Port)> Webs { get; } = [];
    public List<Child> Workers { get; } = [];

    private Stack(ChaosOptions o)
    {
        _o = o;
        Dir = Directory.CreateTempSubdirectory("kiln-chaos-").FullName;
        Directory.CreateDirectory(ScratchPath);
        Directory.CreateDirectory(S3Dir);
        Directory.CreateDirectory(LogDir);
        _pgBin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().First();
        var s3 = new ProcessStartInfo("node") { WorkingDirectory = o.Root };
        foreach (var a in new[] { Path.Combine(o.Root, "node_modules", "s3rver", "bin", "s3rver.js"), "--address", "127.0.0.1", "--port",
                     S3Port.ToString(CultureInfo.InvariantCulture), "--directory", S3Dir, "--configure-bucket", Bucket, "--silent" })
            s3.ArgumentList.Add(a);
        S3 = new Child("s3rver", s3, LogDir);
    }

    public static async Task<Stack> StartAsync(ChaosOptions o)
    {
        var stack = new Stack(o);
        try
        {
            await stack.StartPostgresAsync(init: true);
            await stack.StartS3Async();
            await stack.MigrateAsync();
            var webs = Enumerable.Range(1, o.WebProcesses).Select(i => stack.AddWeb(i)).ToList();
            for (var i = 1; i <= o.Workers; i++) stack.AddWorker(i);
            await Task.WhenAll(webs.Select(w => stack.WaitLiveAsync(w, TimeSpan.FromSeconds(240))));
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    // ---- PostgreSQL ----

    public async Task StartPostgresAsync(bool init = false)
    {
        var data = Path.Combine(Dir, "pg");
        if (init)
        {
            if (_asRoot) await Run("chown", ["postgres", Dir]);
            await Pg("initdb", ["-D", data, "-U", "kiln", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        }
        await Pg("pg_ctl", ["-D", data, "-l", Path.Combine(Dir, "pg.log"), "-w", "-t", "60", "-o",
            $"-p {PgPort} -k {Dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400", "start"]);
        if (init) await Run(Path.Combine(_pgBin, "createdb"), ["-h", "127.0.0.1", "-p", PgPort.ToString(CultureInfo.InvariantCulture), "-U", "kiln", "kiln"]);
    }

    /// <summary>A fast shutdown (what a restart by an operator or a failover does: sessions are terminated).</summary>
    public Task StopPostgresAsync() => Pg("pg_ctl", ["-D", Path.Combine(Dir, "pg"), "-m", "fast", "-w", "stop"]);

    private Task Pg(string tool, string[] args) =>
        _asRoot ? Run("runuser", ["-u", "postgres", "--", Path.Combine(_pgBin, tool), .. args]) : Run(Path.Combine(_pgBin, tool), args);

    public async Task<string> PsqlAsync(string sql)
    {
        var psi = new ProcessStartInfo(Path.Combine(_pgBin, "psql")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", PgPort.ToString(CultureInfo.InvariantCulture), "-U", "kiln", "-d", "kiln", "-v", "ON_ERROR_STOP=1", "-qAt", "-F", "\t", "-c", sql })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"psql failed: {await stderr}\n{sql}");
        return (await stdout).Trim();
    }

    // ---- s3rver ----

    public async Task StartS3Async()
    {
        S3.Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            try
            {
                if ((await http.GetAsync($"{S3Url}/{Bucket}")).StatusCode != HttpStatusCode.NotFound) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        throw new TimeoutException("s3rver did not start");
    }

    // ---- Kiln ----

    private Dictionary<string, string> Common() => new()
    {
        ["Kiln__Database__Provider"] = "Postgres",
        ["Kiln__Database__ConnectionString"] = ConnectionString,
        ["Kiln__Database__MigrateOnStartup"] = "false",
        ["Kiln__Storage__Provider"] = "S3",
        ["Kiln__Storage__S3__ServiceUrl"] = S3Url,
        ["Kiln__Storage__S3__Bucket"] = Bucket,
        ["Kiln__Storage__S3__AccessKey"] = "S3RVER",
        ["Kiln__Storage__S3__SecretKey"] = "S3RVER",
        ["Kiln__Pipelines__Diagnostics"] = "true",
        ["Kiln__Jobs__LeaseSeconds"] = _o.LeaseSeconds.ToString(CultureInfo.InvariantCulture),
        ["Kiln__Jobs__HeartbeatSeconds"] = (_o.LeaseSeconds / 5.0).ToString(CultureInfo.InvariantCulture),
        ["Kiln__Jobs__RescueIntervalSeconds"] = "1",
        ["Kiln__Jobs__PollSeconds"] = "0.5",
        ["Kiln__Accounts__DefaultMaxConcurrentJobs"] = "50",
        // The harness measures recovery, not the rate limits (which would pace job creation to 50 a minute per workspace).
        ["Kiln__RateLimit__PermitsPerMinute"] = "1000000",
        ["Kiln__RateLimit__JobsPerMinute"] = "1000000",
        ["Kiln__RateLimit__UploadsPerMinute"] = "1000",
        ["Kiln__RateLimit__SignUpsPerIpPerHour"] = "1000",
        ["Kiln__Worker__ScratchPath"] = ScratchPath,
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Kiln"] = "Information",
        ["DOTNET_gcServer"] = "0",
    };

    private (Child, int) AddWeb(int i)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.Combine(_o.Root, "src", "Kiln.Web") };
        psi.ArgumentList.Add(Path.Combine(_o.Root, "src", "Kiln.Web", "bin", "Debug", "net10.0", "Kiln.Web.dll"));
        foreach (var (k, v) in Common()) psi.Environment[k] = v;
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        psi.Environment["Kiln__Instance"] = $"web-{i}";
        psi.Environment["Kiln__Worker__Enabled"] = "false";
        psi.Environment["AllowedHosts"] = "*";
        var child = new Child($"web-{i}", psi, LogDir);
        child.Start();
        Webs.Add((child, port));
        return (child, port);
    }

    public void AddWorker(int i)
    {
        var psi = new ProcessStartInfo("dotnet");
        psi.ArgumentList.Add(Path.Combine(_o.Root, "src", "Kiln.Worker", "bin", "Debug", "net10.0", "Kiln.Worker.dll"));
        foreach (var (k, v) in Common()) psi.Environment[k] = v;
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        psi.Environment["Kiln__Worker__WorkerId"] = $"worker-{i}";
        psi.Environment["Kiln__Worker__Concurrency"] = _o.Concurrency.ToString(CultureInfo.InvariantCulture);
        var child = new Child($"worker-{i}", psi, LogDir);
        child.Start();
        Workers.Add(child);
    }

    /// <summary>Starts a killed web process again on its port.</summary>
    public void Restart((Child Process, int Port) web) => web.Process.Start();

    /// <summary>Starts a killed worker again (same worker id, as a supervisor would).</summary>
    public static void Restart(Child worker) => worker.Start();

    public async Task WaitLiveAsync((Child Process, int Port) web, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow + timeout; DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            if (!web.Process.Running) throw new InvalidOperationException($"{web.Process.Name} exited; see {LogDir}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{web.Port}/health/live")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        throw new TimeoutException($"{web.Process.Name} did not answer /health/live");
    }

    private async Task MigrateAsync() => await Cli("migrate");

    public Task Cli(params string[] args)
    {
        var dll = Path.Combine(_o.Root, "src", "Kiln.Cli", "bin", "Debug", "net10.0", "kiln.dll");
        return Run("dotnet", [dll, .. args], new Dictionary<string, string>
        {
            ["Kiln__Database__Provider"] = "Postgres", ["Kiln__Database__ConnectionString"] = ConnectionString,
            ["Kiln__Storage__Provider"] = "S3", ["Kiln__Storage__S3__ServiceUrl"] = S3Url, ["Kiln__Storage__S3__Bucket"] = Bucket,
            ["Kiln__Storage__S3__AccessKey"] = "S3RVER", ["Kiln__Storage__S3__SecretKey"] = "S3RVER",
        });
    }

    private static async Task Run(string file, string[] args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}{await stdout}");
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in Workers) await w.DisposeAsync();
        foreach (var (web, _) in Webs) await web.DisposeAsync();
        await S3.DisposeAsync();
        try { await Pg("pg_ctl", ["-D", Path.Combine(Dir, "pg"), "-m", "immediate", "-w", "stop"]); } catch (InvalidOperationException) { }
        if (_o.KeepDir) Console.Error.WriteLine($"# kept {Dir}");
        else try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

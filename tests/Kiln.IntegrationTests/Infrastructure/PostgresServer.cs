using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

[assembly: AssemblyFixture(typeof(Kiln.IntegrationTests.Infrastructure.PostgresServer))]

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster for the whole test run: initdb into a temp directory, started on a free port,
/// stopped and deleted at the end. Set KILN_TEST_POSTGRES to a server connection string to use an existing server.
/// As root, the cluster runs as the `postgres` user (initdb refuses root).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _dir;
    private string? _bin;
    private int _created;

    public string ServerConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("KILN_TEST_POSTGRES") is { Length: > 0 } existing)
        {
            ServerConnectionString = existing;
            return;
        }
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (_bin is null) throw new InvalidOperationException("PostgreSQL is not installed: apt-get install postgresql (or set KILN_TEST_POSTGRES).");

        _dir = Path.Combine(Path.GetTempPath(), $"kiln-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        var asRoot = Environment.UserName == "root";
        if (asRoot) await Run("chown", ["-R", "postgres:postgres", _dir]);
        var port = FreePort();
        await Pg("initdb", ["-D", Path.Combine(_dir, "data"), "-U", "kiln", "--auth=trust", "-E", "UTF8", "--no-sync"], asRoot);
        await Pg("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log.txt"), "-w", "-t", "60", "-o",
            $"-p {port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000", "start"], asRoot);
        ServerConnectionString = $"Host=127.0.0.1;Port={port};Username=kiln;Database=postgres;Pooling=true;Maximum Pool Size=200";
    }

    /// <summary>A new empty database on the server; each test gets its own.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"kiln_t{Environment.ProcessId}_{Interlocked.Increment(ref _created)}_{Guid.NewGuid().ToString("N")[..6]}";
        await using var conn = new NpgsqlConnection(ServerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, MaxPoolSize = 100 }.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_dir is null || _bin is null) return;
        try { await Pg("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"], Environment.UserName == "root"); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Task Pg(string tool, string[] args, bool asRoot) =>
        asRoot ? Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin!, tool), .. args]) : Run(Path.Combine(_bin!, tool), args);

    private static async Task Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
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
}

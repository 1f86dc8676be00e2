using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Kiln.Core.Data;
using Kiln.IntegrationTests.Infrastructure;
using Npgsql;

namespace Kiln.IntegrationTests.Operations;

/// <summary>
/// deploy/backup.sh and deploy/restore.sh, through deploy/backup-test.sh: an installation with money movements and
/// artifacts is backed up, wiped (schema and blobs) and restored; then a fresh web process on the restored database
/// signs the user in, shows the same balance, and serves every artifact byte for byte.
/// </summary>
public sealed class BackupRestoreTests(PostgresServer pg)
{
    [Fact]
    public async Task Backup_wipe_and_restore_keep_the_ledger_balanced_and_every_artifact_downloadable()
    {
        var pgBin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_dump"))).OrderDescending().FirstOrDefault()
            : null;
        if (pgBin is null) Assert.Skip("PostgreSQL client tools (pg_dump) are not installed.");
        var root = Directory.CreateTempSubdirectory("kiln-backup-").FullName;
        var blobs = Path.Combine(root, "blobs");
        try
        {
            string connection, email;
            Dictionary<string, string> before;
            JsonElement balanceBefore;
            List<Guid> jobs = [];
            await using (var host = await KilnTestHost.StartAsync("postgres", pg, worker: true, new Dictionary<string, string?> { ["Kiln:Storage:LocalPath"] = blobs }))
            {
                connection = host.Database.ConnectionString;
                var user = await host.SignUpAsync();
                email = user.Email;
                // Captures (two successes with artifacts) and a release (a failure).
                foreach (var seconds in new[] { 1, 1 })
                    jobs.Add((await (await user.Client.CreateJob("sleep", new { seconds })).Json(HttpStatusCode.Created)).Id());
                var failed = (await (await user.Client.CreateJob("fail")).Json(HttpStatusCode.Created)).Id();
                foreach (var job in jobs) (await user.Client.WaitForJob(job, "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded");
                await user.Client.WaitForJob(failed, "failed", "succeeded");
                before = await DownloadAll(user.Client, jobs);
                before.Count.ShouldBe(2);
                balanceBefore = await user.Client.Balance();
            }

            var result = await Run(Path.Combine(DeploymentFilesTests.RepoRoot(), "deploy", "backup-test.sh"), new Dictionary<string, string>
            {
                ["KILN_DATABASE_URL"] = LibpqConnection(connection),
                ["KILN_BLOB_DIR"] = blobs,
                ["PG_BIN"] = pgBin,
                ["KILN_BACKUP_TEST_DIR"] = Path.Combine(root, "work"),
            });
            result.ExitCode.ShouldBe(0, result.Output);
            result.Output.ShouldContain("backup-test: OK: ledger balances, 2 artifacts restored byte for byte", customMessage: result.Output);
            Directory.GetDirectories(Path.Combine(root, "work", "backups")).ShouldHaveSingleItem();

            // A new web process on the restored installation: same account, same balance, every artifact downloads.
            await using var restored = await KilnTestHost.StartAsync("postgres", pg, worker: false, new Dictionary<string, string?>
            {
                ["Kiln:Database:ConnectionString"] = connection,
                ["Kiln:Storage:LocalPath"] = blobs,
            });
            var client = restored.CreateClient();
            var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password = KilnTestHost.Password });
            login.StatusCode.ShouldBe(HttpStatusCode.OK);
            var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            (await client.Balance()).GetRawText().ShouldBe(balanceBefore.GetRawText());
            (await DownloadAll(client, jobs)).ShouldBe(before);

            await using var db = DataRegistrations.CreateContext(new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = connection });
            await DbAssertions.LedgerBalances(db);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Every artifact of the jobs, downloaded through its signed link: name → SHA-256 (checked against the listing).</summary>
    private static async Task<Dictionary<string, string>> DownloadAll(HttpClient client, IEnumerable<Guid> jobs)
    {
        var hashes = new Dictionary<string, string>();
        foreach (var job in jobs)
        {
            foreach (var artifact in (await (await client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK)).EnumerateArray())
            {
                var url = new Uri(artifact.GetProperty("downloadUrl").GetString()!);
                var bytes = await client.GetByteArrayAsync(url.PathAndQuery);
                var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
                sha.ShouldBe(artifact.GetProperty("sha256").GetString()!.ToLowerInvariant());
                hashes[$"{job}/{artifact.GetProperty("name").GetString()}"] = sha;
            }
        }
        return hashes;
    }

    private static string LibpqConnection(string npgsql)
    {
        var b = new NpgsqlConnectionStringBuilder(npgsql);
        var parts = new List<string> { $"host={b.Host}", $"port={b.Port}", $"dbname={b.Database}", $"user={b.Username}" };
        if (!string.IsNullOrEmpty(b.Password)) parts.Add($"password={b.Password}");
        return string.Join(' ', parts);
    }

    private static async Task<(int ExitCode, string Output)> Run(string script, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (p.ExitCode, await stdout + await stderr);
    }
}

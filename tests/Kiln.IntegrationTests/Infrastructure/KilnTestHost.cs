using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// The real web host (all of Program.cs) on a fresh database of either provider, a temp blob directory, the
/// diagnostic pipelines, and short queue timings. The in-process job runner is on unless <c>worker: false</c>.
/// </summary>
public sealed class KilnTestHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    public DatabaseOptions Database { get; }
    public ErrorLog Errors { get; } = new();
    public string BlobPath { get; }

    private readonly Action<IServiceCollection>? _services;

    private KilnTestHost(DatabaseOptions db, bool worker, IDictionary<string, string?>? overrides, Action<IServiceCollection>? services = null)
    {
        Database = db;
        _services = services;
        BlobPath = Path.Combine(Path.GetTempPath(), $"kiln-blobs-{Guid.NewGuid():N}");
        _settings = new Dictionary<string, string?>
        {
            ["Kiln:Database:Provider"] = db.Provider.ToString(),
            ["Kiln:Database:ConnectionString"] = db.ConnectionString,
            ["Kiln:Database:MigrateOnStartup"] = "true",
            ["Kiln:Storage:Provider"] = "Local",
            ["Kiln:Storage:LocalPath"] = BlobPath,
            ["Kiln:Storage:PublicBaseUrl"] = "http://localhost",
            ["Kiln:Pipelines:Diagnostics"] = "true",
            ["Kiln:Worker:Enabled"] = worker ? "true" : "false",
            ["Kiln:Worker:Concurrency"] = "4",
            ["Kiln:Worker:ShutdownGraceSeconds"] = "2",
            ["Kiln:Jobs:PollSeconds"] = "0.2",
            ["Kiln:Jobs:HeartbeatSeconds"] = "0.3",
            ["Kiln:Jobs:LeaseSeconds"] = "3",
            ["Kiln:Jobs:RescueIntervalSeconds"] = "0.5",
            ["Kiln:Jobs:BackoffBaseSeconds"] = "0.2",
            ["Kiln:Accounts:DefaultMaxConcurrentJobs"] = "10",
            ["Kiln:RateLimit:PermitsPerMinute"] = "100000",
            ["Kiln:RateLimit:AuthPerMinute"] = "100000",
            ["Kiln:RateLimit:SignUpsPerIpPerHour"] = "100000",
            ["Kiln:RateLimit:UploadsPerMinute"] = "100000",
            ["Kiln:RateLimit:JobsPerMinute"] = "100000",
            ["Kiln:RateLimit:BlobsPerMinute"] = "100000",
            ["Kiln:RateLimit:WebhooksPerMinute"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (overrides is not null) foreach (var (k, v) in overrides) _settings[k] = v;
    }

    /// <param name="services">Test-only registrations (a test pipeline, a fake clock) applied after the app's own.</param>
    public static async Task<KilnTestHost> StartAsync(string provider, PostgresServer pg, bool worker = true, IDictionary<string, string?>? overrides = null,
        Action<IServiceCollection>? services = null)
    {
        var host = new KilnTestHost(await Providers.NewDatabase(provider, pg), worker, overrides, services);
        _ = host.Server; // boots the host, runs migrations
        return host;
    }

    /// <summary>A host on an existing database (e.g. a second web process sharing the first one's).</summary>
    public static KilnTestHost Start(DatabaseOptions db, bool worker = true, IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? services = null)
    {
        var host = new KilnTestHost(db, worker, overrides, services);
        _ = host.Server;
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(l => l.AddProvider(Errors));
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        if (_services is { } configure) builder.ConfigureTestServices(configure);
    }

    /// <summary>Brings <paramref name="member"/> into <paramref name="owner"/>'s workspace the only way there is: invite, then accept.</summary>
    public static async Task JoinAsync(TestUser owner, TestUser member, string role = "member")
    {
        var invitation = await (await owner.Client.PostAsJsonAsync("/api/workspace/invitations", new { email = member.Email, role })).Json(System.Net.HttpStatusCode.Created);
        var token = invitation.GetProperty("link").GetString()!.Split("/invitations/")[1];
        await (await member.Client.PostAsync($"/api/invitations/{token}/accept", null)).Json(System.Net.HttpStatusCode.OK);
    }

    /// <summary>Every test user's password.</summary>
    public const string Password = "correct horse battery";

    public KilnDbContext NewDbContext() => DataRegistrations.CreateContext(Database);

    /// <summary>The host's background loop of type <typeparamref name="T"/> (webhooks, payment events, …).</summary>
    public T Loop<T>() where T : ScopedLoop => Services.GetServices<IHostedService>().OfType<T>().Single();

    /// <summary>Waits (30 s at most) until a pass of loop <typeparamref name="T"/> that started after this call found nothing to do.</summary>
    public Task WaitForIdlePassAsync<T>() where T : ScopedLoop => Loop<T>().WaitForIdlePassAsync().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Signs up a new user through the API and returns a client authenticated with their bearer token.</summary>
    public async Task<TestUser> SignUpAsync(string? email = null, bool admin = false)
    {
        email ??= $"user-{Guid.NewGuid():N}@example.test";
        var anon = CreateClient();
        if (admin)
        {
            await using var scope = Services.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<CreateAccountCommand>().Run(email, Password, null, isAdmin: true, CancellationToken.None);
            result.IsSuccess.ShouldBeTrue(result.Error?.Message);
        }
        else
        {
            var reg = await anon.PostAsJsonAsync("/api/auth/register", new { email, password = Password });
            reg.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, await reg.Content.ReadAsStringAsync());
        }
        var login = await anon.PostAsJsonAsync("/api/auth/login", new { email, password = Password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");
        return new TestUser(email, client, Guid.Parse(me.GetProperty("workspaceId").GetString()!), Guid.Parse(me.GetProperty("userId").GetString()!));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Database.Provider == DatabaseProvider.Sqlite)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(Database.ConnectionString).DataSource;
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }) try { File.Delete(f); } catch (IOException) { }
        }
        // A finished host's idle pooled connections would otherwise stay open for minutes; with dozens of hosts per run
        // (each with its pool, queue listener and event listener) they add up to the server's connection limit.
        else Npgsql.NpgsqlConnection.ClearAllPools();
        try { if (Directory.Exists(BlobPath)) Directory.Delete(BlobPath, true); } catch (IOException) { }
    }
}

public sealed record TestUser(string Email, HttpClient Client, Guid WorkspaceId, Guid UserId);

public static class DbAssertions
{
    /// <summary>The ledger invariant: per workspace, entries sum to the account, and nothing is negative.</summary>
    public static async Task LedgerBalances(KilnDbContext db)
    {
        var accounts = await db.CreditAccounts.AsNoTracking().ToListAsync();
        foreach (var a in accounts)
        {
            var posted = await db.LedgerEntries.IgnoreQueryFilters().Where(e => e.WorkspaceId == a.WorkspaceId).SumAsync(e => e.PostedDelta);
            var held = await db.LedgerEntries.IgnoreQueryFilters().Where(e => e.WorkspaceId == a.WorkspaceId).SumAsync(e => e.HeldDelta);
            posted.ShouldBe(a.Posted);
            held.ShouldBe(a.Held);
            a.Held.ShouldBeGreaterThanOrEqualTo(0);
            (a.Posted - a.Held).ShouldBeGreaterThanOrEqualTo(0);
        }
    }
}

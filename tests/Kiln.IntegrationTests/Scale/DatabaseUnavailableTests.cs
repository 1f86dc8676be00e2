using System.Diagnostics;
using System.Net;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using System.Net.Http.Json;

namespace Kiln.IntegrationTests.Scale;

/// <summary>
/// While PostgreSQL is unreachable, the API answers 503 <c>database_unavailable</c> with <c>Retry-After</c> (not a 500),
/// the new-job form says to try again in a moment, the CLI says so too — and everything works again once it is back.
/// </summary>
public sealed class DatabaseUnavailableTests(PostgresServer pg)
{
    [Fact]
    public async Task Job_creation_answers_503_with_retry_after_while_the_database_is_down_and_works_when_it_is_back()
    {
        var real = new NpgsqlConnectionStringBuilder(await pg.CreateDatabaseAsync());
        await using var gate = new TcpGate(real.Port);
        var throughGate = new NpgsqlConnectionStringBuilder(real.ConnectionString) { Port = gate.Port, Timeout = 3 }.ConnectionString;
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Database:ConnectionString"] = throughGate,
            ["Kiln:Logging:RequestSampleRate"] = "0",
            ["Logging:LogLevel:Kiln.Requests"] = "Information",
        });
        var logs = new CapturedLogs();
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        var user = await host.SignUpAsync();
        var pages = await PageClient.SignInAsync(host, user.Email);
        (await user.Client.CreateJob("noop")).StatusCode.ShouldBe(HttpStatusCode.Created);
        var formToken = await pages.FormTokenAsync("/jobs/new?pipelineId=noop");

        gate.Close();
        var refused = await user.Client.CreateJob("noop", idempotencyKey: "during-outage");
        var problem = await refused.Problem(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        refused.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(2));
        problem.GetProperty("title").GetString()!.ShouldContain("try again in a moment");
        (await host.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = KilnTestHost.Password }))
            .StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

        // The browser gets a page, not a problem document.
        using var form = new HttpRequestMessage(HttpMethod.Post, "/jobs/new?pipelineId=noop") {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = formToken, ["RequestKey"] = "outage-form" }),
        };
        form.Headers.Accept.ParseAdd("text/html");
        var page = await pages.Client.SendAsync(form);
        page.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        page.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(2));
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await page.Content.ReadAsStringAsync()).ShouldContain("Try again in a moment");

        // Errors are logged even when successful requests are not sampled at all.
        logs.Lines.ShouldContain(l => l.Contains("POST /api/jobs answered 503", StringComparison.Ordinal), string.Join('\n', logs.Lines));
        logs.Lines.ShouldNotContain(l => l.Contains("answered 201", StringComparison.Ordinal));
        // (EF Core logs the failed connection itself; what matters is that no request ended as an unhandled exception.)
        host.Errors.Entries.ShouldNotContain(e => e.StartsWith("Microsoft.AspNetCore.Diagnostics", StringComparison.Ordinal), string.Join('\n', host.Errors.Entries));

        gate.Open();
        // Pooled connections died with the gate; the next requests open new ones.
        HttpResponseMessage? again = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            again = await user.Client.CreateJob("noop", idempotencyKey: "during-outage");
            if (again.StatusCode != HttpStatusCode.ServiceUnavailable) break;
        }
        again!.StatusCode.ShouldBe(HttpStatusCode.Created, await again.Content.ReadAsStringAsync());
        await using var db = Kiln.Core.Data.DataRegistrations.CreateContext(new Kiln.Core.Data.DatabaseOptions
        {
            Provider = Kiln.Core.Data.DatabaseProvider.Postgres, ConnectionString = real.ConnectionString,
        });
        await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task The_cli_says_try_again_in_a_moment_when_the_database_is_unreachable()
    {
        var cli = Path.Combine(S3Server.RepoRoot(), "src", "Kiln.Cli", "bin", "Debug", "net10.0", "kiln.dll");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "migrate" }) psi.ArgumentList.Add(a);
        psi.Environment["Kiln__Database__Provider"] = "Postgres";
        psi.Environment["Kiln__Database__ConnectionString"] = $"Host=127.0.0.1;Port={PostgresServer.FreePort()};Username=kiln;Database=kiln;Timeout=2";
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var text = await output + await errors;
        process.ExitCode.ShouldBe(75, text);
        text.ShouldContain("try again in a moment");
    }
}

/// <summary>Every log line of the host, formatted, for tests that assert what was logged.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly List<string> _lines = [];
    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines) owner._lines.Add($"{category}|{logLevel}|{formatter(state, exception)}");
        }
    }
}

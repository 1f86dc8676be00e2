using System.Net;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.IntegrationTests.Scale;

/// <summary>One log line per request with the route template, status, duration, trace id and workspace; sampled by config.</summary>
public sealed class RequestLogTests(PostgresServer pg)
{

    [Fact]
    public async Task Every_request_is_logged_with_route_template_status_duration_trace_and_workspace()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Kiln.Requests"] = "Information",
            ["Kiln:Logging:ReadSampleRate"] = "0",
        });
        var logs = new CapturedLogs();
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        var user = await host.SignUpAsync();
        var id = Guid.NewGuid();
        (await user.Client.GetAsync($"/api/jobs/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var line = logs.Lines.Single(l => l.StartsWith("Kiln.Requests|", StringComparison.Ordinal) && l.Contains("GET /api/jobs/{id:guid} answered 404", StringComparison.Ordinal));
        line.ShouldNotContain(id.ToString(), customMessage: "the route template, not the raw path");
        line.ShouldContain($"workspace {user.WorkspaceId}");
        line.ShouldMatch(@"in \d+(\.\d)? ms \(trace [0-9a-f]{32},");

        // Successful reads are sampled (Kiln:Logging:ReadSampleRate, here 0); changes and refusals are always logged.
        for (var i = 0; i < 5; i++) (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await user.Client.PostAsJsonAsync("/api/api-keys", new { name = "logged" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        logs.Lines.ShouldNotContain(l => l.Contains("GET /api/me answered 200", StringComparison.Ordinal));
        logs.Lines.ShouldContain(l => l.Contains("POST /api/api-keys", StringComparison.Ordinal) && l.Contains("answered 201", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Successful_requests_are_sampled_at_the_configured_rate_and_can_be_switched_off()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Kiln.Requests"] = "Information",
            ["Kiln:Logging:RequestSampleRate"] = "0.25",
            ["Kiln:Logging:ReadSampleRate"] = "1",
        });
        var logs = new CapturedLogs();
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        var user = await host.SignUpAsync();
        for (var i = 0; i < 400; i++) (await user.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var logged = logs.Lines.Count(l => l.Contains("GET /api/me answered 200", StringComparison.Ordinal));
        // Binomial(400, 0.25): mean 100, standard deviation 8.7; 55..145 is more than five deviations either side.
        logged.ShouldBeInRange(55, 145);

        await using var off = await KilnTestHost.StartAsync("sqlite", pg, worker: false, new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Kiln.Requests"] = "Information",
            ["Kiln:Logging:RequestLogs"] = "false",
        });
        var none = new CapturedLogs();
        off.Services.GetRequiredService<ILoggerFactory>().AddProvider(none);
        await off.SignUpAsync();
        none.Lines.ShouldNotContain(l => l.StartsWith("Kiln.Requests|", StringComparison.Ordinal));
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Operations;

/// <summary>Who may scrape the web host's <c>/metrics</c>, and the worker process's own metrics port.</summary>
public sealed class MetricsTests(PostgresServer pg)
{
    [Fact]
    public async Task A_metrics_token_refuses_callers_without_it_and_answers_those_with_it()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, ScrapeToken);
        var anon = host.CreateClient();
        var refused = await anon.GetAsync("/metrics");
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        refused.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");

        var wrong = host.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "scrape-secreT");
        (await wrong.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var metrics = PrometheusText.Parse(await Scraper(host).GetStringAsync("/metrics"));
        metrics.Value("kiln_queue_depth").ShouldBe(0);
    }

    [Fact]
    public async Task An_address_allowlist_answers_its_networks_and_refuses_the_rest()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, new Dictionary<string, string?>
        {
            ["Kiln:Telemetry:MetricsAllowedNetworks"] = "10.1.0.0/16, 192.0.2.9",
        });
        (await Scrape(host, "10.1.2.3")).Response.StatusCode.ShouldBe(StatusCodes.Status200OK);
        (await Scrape(host, "192.0.2.9")).Response.StatusCode.ShouldBe(StatusCodes.Status200OK);
        (await Scrape(host, "::ffff:10.1.200.1")).Response.StatusCode.ShouldBe(StatusCodes.Status200OK);
        (await Scrape(host, "10.2.0.1")).Response.StatusCode.ShouldBe(StatusCodes.Status403Forbidden);
        (await Scrape(host, "127.0.0.1")).Response.StatusCode.ShouldBe(StatusCodes.Status403Forbidden);
        (await host.CreateClient().GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.Forbidden); // no address at all
    }

    private static Task<HttpContext> Scrape(KilnTestHost host, string from) => host.Server.SendAsync(c =>
    {
        c.Request.Method = "GET";
        c.Request.Path = "/metrics";
        c.Connection.RemoteIpAddress = IPAddress.Parse(from);
    });

    private const string Token = "scrape-secret";

    /// <summary>Settings that make /metrics answer <see cref="Scraper"/> (the in-memory test server has no client address).</summary>
    public static Dictionary<string, string?> ScrapeToken => new() { ["Kiln:Telemetry:MetricsToken"] = Token };

    /// <summary>A client of the test host (which has no client address, so no allowlist admits it) sending the token.</summary>
    public static HttpClient Scraper(KilnTestHost host)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    [Fact]
    public async Task By_default_only_loopback_callers_may_scrape()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        (await Scrape(host, "127.0.0.1")).Response.StatusCode.ShouldBe(StatusCodes.Status200OK);
        (await Scrape(host, "::1")).Response.StatusCode.ShouldBe(StatusCodes.Status200OK);
        (await Scrape(host, "192.0.2.7")).Response.StatusCode.ShouldBe(StatusCodes.Status403Forbidden);
        (await Scrape(host, "10.0.0.2")).Response.StatusCode.ShouldBe(StatusCodes.Status403Forbidden);
    }

    [Fact]
    public async Task A_client_behind_the_local_proxy_is_judged_by_its_own_address_not_the_proxys()
    {
        // nginx on the same machine connects from loopback, which may scrape; the client it relays may not.
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var relayed = await host.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/metrics";
            c.Connection.RemoteIpAddress = IPAddress.Loopback;
            c.Request.Headers["X-Forwarded-For"] = "198.51.100.20";
        });
        relayed.Response.StatusCode.ShouldBe(StatusCodes.Status403Forbidden);
    }

    [Fact]
    public async Task Scrapes_count_queued_and_running_jobs_from_the_active_jobs_index_only()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        await using var db = host.NewDbContext();
        // The gauge's query, as EF writes it, must be answerable from the partial index: never a scan of finished jobs.
        await db.Database.ExecuteSqlRawAsync("VACUUM ANALYZE jobs"); // the visibility map an index-only scan relies on
        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("SET enable_seqscan = off"); // a tiny table would otherwise be scanned whatever the indexes
        var conn = db.Database.GetDbConnection();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = "EXPLAIN " + db.Jobs.IgnoreQueryFilters().Where(j => j.Status < Kiln.Core.Jobs.JobStatus.Succeeded)
            .GroupBy(j => new { j.PipelineId, j.Status }).Select(g => new { g.Key.PipelineId, g.Key.Status, Count = g.Count() }).ToQueryString();
        var plan = new System.Text.StringBuilder();
        await using (var reader = await cmd.ExecuteReaderAsync()) while (await reader.ReadAsync()) plan.AppendLine(reader.GetString(0));
        plan.ToString().ShouldContain("Index Only Scan using ix_jobs_active_pipeline", customMessage: plan.ToString());
        plan.ToString().ShouldNotContain("Seq Scan", customMessage: plan.ToString());
    }

    [Fact]
    public async Task Database_gauges_report_their_own_hosts_database_only()
    {
        // Two hosts in one process (as in these tests): each one's gauges read its own database, never the other's.
        await using var busy = await KilnTestHost.StartAsync("sqlite", pg, worker: false, ScrapeToken);
        await using var idle = await KilnTestHost.StartAsync("sqlite", pg, worker: false, ScrapeToken);
        var user = await busy.SignUpAsync();
        (await user.Client.CreateJob("noop")).StatusCode.ShouldBe(HttpStatusCode.Created);

        var busyMetrics = PrometheusText.Parse(await Scraper(busy).GetStringAsync("/metrics"));
        busyMetrics.Value("kiln_queue_depth").ShouldBe(1);
        busyMetrics.Value("kiln_jobs", ("pipeline", "noop"), ("status", "queued")).ShouldBe(1);
        var idleMetrics = PrometheusText.Parse(await Scraper(idle).GetStringAsync("/metrics"));
        idleMetrics.Value("kiln_queue_depth").ShouldBe(0);
        idleMetrics.Samples.ShouldNotContain(m => m.Name == "kiln_jobs", idleMetrics.Text);
    }

    [Fact]
    public async Task A_worker_metrics_port_follows_the_same_token_and_allowlist_rule()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var port = FreePort();
        await using var worker = WorkerProcess.Start(host.Database, null, host.BlobPath, "worker-metrics-token", settings: new Dictionary<string, string>
        {
            ["Kiln:Telemetry:WorkerMetricsUrl"] = $"http://127.0.0.1:{port}/metrics",
            ["Kiln:Telemetry:MetricsToken"] = "worker-secret",
            ["Kiln:Telemetry:MetricsAllowedNetworks"] = "10.9.0.0/16", // not loopback: only the token lets this test in
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        HttpResponseMessage? refused = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && refused is null; await Task.Delay(200))
        {
            try { refused = await http.GetAsync($"http://127.0.0.1:{port}/metrics"); }
            catch (HttpRequestException) { }
        }
        refused.ShouldNotBeNull(worker.Output);
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        refused.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");

        using var scrape = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
        scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "worker-secret");
        var answered = await http.SendAsync(scrape);
        answered.StatusCode.ShouldBe(HttpStatusCode.OK);
        PrometheusText.Parse(await answered.Content.ReadAsStringAsync()).Samples.ShouldContain(s => s.Name.StartsWith("dotnet_", StringComparison.Ordinal));
        // Nothing but the scrape path is served on that port.
        using var other = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
        other.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "worker-secret");
        (await http.SendAsync(other)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_worker_process_serves_its_job_metrics_on_its_metrics_port()
    {
        await using var host = await KilnTestHost.StartAsync("postgres", pg, worker: false);
        var user = await host.SignUpAsync();
        var port = FreePort();
        await using var worker = WorkerProcess.Start(host.Database, null, host.BlobPath, "worker-metrics", settings: new Dictionary<string, string>
        {
            ["Kiln:Telemetry:WorkerMetricsUrl"] = $"http://127.0.0.1:{port}",
        });
        var job = (await (await user.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        (await user.Client.WaitForJob(job, "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded", worker.Output);

        // The attempt is recorded just after its completion is stored: scrape until it shows (the exporter caches 300 ms).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        PrometheusText? metrics = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            try { metrics = PrometheusText.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics")); }
            catch (HttpRequestException) { continue; }
            if (metrics.Find("kiln_jobs_finished_total", ("pipeline", "noop"), ("status", "succeeded")).Count > 0) break;
        }
        metrics.ShouldNotBeNull(worker.Output);
        // This process ran exactly this one job.
        metrics.Value("kiln_jobs_finished_total", ("pipeline", "noop"), ("status", "succeeded")).ShouldBe(1);
        metrics.Value("kiln_job_duration_seconds_count", ("outcome", "succeeded"), ("pipeline", "noop")).ShouldBe(1);
        metrics.Value("kiln_job_duration_seconds_bucket", ("outcome", "succeeded"), ("pipeline", "noop"), ("le", "+Inf")).ShouldBe(1);
        metrics.Samples.ShouldContain(s => s.Name.StartsWith("dotnet_", StringComparison.Ordinal), "runtime metrics");
        // The database-read gauges are the web host's, so a sum over processes does not count them twice.
        metrics.Samples.ShouldNotContain(s => s.Name == "kiln_jobs" || s.Name == "kiln_queue_depth");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

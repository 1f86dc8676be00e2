using System.Net;
using System.Net.Http.Json;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Operations;

public sealed class OperationsTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Health_metrics_and_openapi_answer(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: MetricsTests.ScrapeToken);
        var anon = host.CreateClient();
        (await anon.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anon.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var user = await host.SignUpAsync();
        var job = (await (await user.Client.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
        await user.Client.WaitForJob(job, "succeeded");

        // Parsed, not matched as substrings: the OpenTelemetry exporter adds scope labels and orders labels its own way.
        (await anon.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var metrics = PrometheusText.Parse(await MetricsTests.Scraper(host).GetStringAsync("/metrics"));
        // Finished jobs are counted by the process that ran them; the database gauge holds queued and running ones only.
        // Kiln's meter is one per process, and other test hosts in this process run noop jobs at the same time: at least
        // this one is counted here (the exact once-per-job count is asserted on a worker process of its own, MetricsTests).
        metrics.Value("kiln_jobs_finished_total", ("pipeline", "noop"), ("status", "succeeded")).ShouldBeGreaterThanOrEqualTo(1);
        metrics.Samples.ShouldNotContain(m => m.Name == "kiln_jobs" && m.Labels.GetValueOrDefault("status") == "succeeded", metrics.Text);
        metrics.Value("kiln_queue_depth").ShouldBe(0);
        metrics.Value("kiln_queue_oldest_age_seconds").ShouldBe(0);
        metrics.Value("kiln_ledger_movements_total", ("kind", "hold")).ShouldBeGreaterThanOrEqualTo(1);
        metrics.Value("kiln_job_duration_seconds_bucket", ("outcome", "succeeded"), ("pipeline", "noop"), ("le", "+Inf")).ShouldBeGreaterThanOrEqualTo(1);
        metrics.Samples.ShouldContain(m => m.Name == "http_server_request_duration_seconds_bucket", metrics.Text);

        var openapi = await anon.GetStringAsync("/openapi/v1.json");
        openapi.ShouldContain("/api/jobs/{id}/events");
        openapi.ShouldContain("/api/uploads");
        openapi.ShouldContain("/api/uploads/from-url");
        (await anon.GetAsync("/docs/index.html")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Sse_streams_the_job_log_and_resumes_after_last_event_id(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        var job = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();

        var all = await ReadEvents(user.Client, $"/api/jobs/{job}/events", null);
        all.ShouldContain(e => e.Type == "status" && e.Data.Contains("\"queued\""));
        all.ShouldContain(e => e.Type == "progress");
        all.ShouldContain(e => e.Type == "artifact" && e.Data.Contains("sleep.txt"));
        all[^1].Type.ShouldBe("end");
        var ids = all.Where(e => e.Id is not null).Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        ids.ShouldBe(ids.Order().ToList());
        ids.Distinct().Count().ShouldBe(ids.Count);

        var middle = all[all.Count / 2].Id!;
        var resumed = await ReadEvents(user.Client, $"/api/jobs/{job}/events", middle);
        resumed.Where(e => e.Id is not null).Select(e => e.Id).ShouldBe(all.Where(e => e.Id is not null).SkipWhile(e => e.Id != middle).Skip(1).Select(e => e.Id));
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Admins_grant_and_adjust_credits_with_a_reason(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var admin = await host.SignUpAsync(admin: true);

        (await user.Client.PostAsJsonAsync("/api/admin/credits/grant", new { workspaceId = user.WorkspaceId, amount = 10, reason = "hi" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await admin.Client.PostAsJsonAsync("/api/admin/credits/grant", new { workspaceId = user.WorkspaceId, amount = 10, reason = "" })).Problem(HttpStatusCode.BadRequest, "reason_required");
        await (await admin.Client.PostAsJsonAsync("/api/admin/credits/grant", new { workspaceId = Guid.NewGuid(), amount = 10, reason = "x" })).Problem(HttpStatusCode.NotFound, "not_found");
        for (var i = 0; i < 3; i++)
            await (await admin.Client.PostAsJsonAsync("/api/admin/credits/grant", new { workspaceId = user.WorkspaceId, amount = 10, reason = "Support", requestId = "ticket-42" })).Json(HttpStatusCode.OK);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(35);
        await (await admin.Client.PostAsJsonAsync("/api/admin/credits/adjust", new { workspaceId = user.WorkspaceId, amount = -100, reason = "oops" })).Problem(HttpStatusCode.BadRequest, "balance_would_be_negative");
        await (await admin.Client.PostAsJsonAsync("/api/admin/credits/adjust", new { workspaceId = user.WorkspaceId, amount = -5, reason = "Correction" })).Json(HttpStatusCode.OK);

        var entries = await (await user.Client.GetAsync("/api/credits/entries?pageSize=2")).Json(HttpStatusCode.OK);
        entries.GetProperty("total").GetInt32().ShouldBe(3);
        entries.GetProperty("items")[0].GetProperty("kind").GetString().ShouldBe("adjustment");
        entries.GetProperty("items")[0].GetProperty("reason").GetString().ShouldBe("Correction");
        entries.GetProperty("items")[0].GetProperty("balanceAfter").GetInt64().ShouldBe(30);
        await (await user.Client.GetAsync("/api/credits/entries?kind=bogus")).Problem(HttpStatusCode.BadRequest, "invalid_kind");
        (await (await user.Client.GetAsync("/api/credits/entries?kind=grant")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(2);

        (await user.Client.GetAsync("/api/admin/workspaces")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var workspaces = await (await admin.Client.GetAsync("/api/admin/workspaces")).Json(HttpStatusCode.OK);
        workspaces.EnumerateArray().Single(w => w.GetProperty("id").GetString() == user.WorkspaceId.ToString())
            .GetProperty("balance").GetInt64().ShouldBe(30);
        (await user.Client.CreateJob("noop")).StatusCode.ShouldBe(HttpStatusCode.Created);
        var queue = await (await admin.Client.GetAsync("/api/admin/queue")).Json(HttpStatusCode.OK);
        queue.GetProperty("jobs").GetProperty("queued").GetInt32().ShouldBe(1);
        queue.GetProperty("ready").GetInt32().ShouldBe(1);
    }

    private sealed record SseEvent(string? Id, string Type, string Data);

    private static async Task<List<SseEvent>> ReadEvents(HttpClient client, string url, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<SseEvent>();
        string? id = null, type = null, data = null;
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            else if (line.Length == 0 && type is not null)
            {
                events.Add(new SseEvent(id, type, data ?? ""));
                if (type == "end") break;
                id = type = data = null;
            }
        }
        return events;
    }
}

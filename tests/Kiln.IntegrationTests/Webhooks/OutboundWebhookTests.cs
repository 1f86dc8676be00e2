using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Jobs;
using Kiln.Core.Tests.Billing;
using Kiln.Core.Webhooks;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Webhooks;

/// <summary>
/// Outbound job webhooks end to end: the real host fans job events out and POSTs them to a receiving HTTP server on
/// 127.0.0.1, signed per Standard Webhooks.
/// </summary>
public sealed class OutboundWebhookTests(PostgresServer pg)
{
    private static Dictionary<string, string?> Settings(string retrySchedule = "0.3", int maxAttempts = 8) => new()
    {
        ["Kiln:Webhooks:AllowHttp"] = "true",
        ["Kiln:Webhooks:AllowPrivateUrls"] = "true",
        ["Kiln:Webhooks:PollSeconds"] = "0.1",
        ["Kiln:Webhooks:RescanSeconds"] = "2",
        ["Kiln:Webhooks:RetrySchedule"] = retrySchedule,
        ["Kiln:Webhooks:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_succeeded_job_sends_one_signed_job_succeeded_to_each_subscribed_enabled_endpoint(string provider)
    {
        await using var receiver = await FakeProviderServer.StartAsync();
        receiver.Respond = (_, _) => (200, "{}");
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: Settings());
        var owner = await host.SignUpAsync();

        var (succeeded, secret) = await CreateAsync(owner.Client, Url(receiver, "succeeded"), "job.succeeded");
        var (started, startedSecret) = await CreateAsync(owner.Client, Url(receiver, "started"), "job.started");
        var (failedOnly, _) = await CreateAsync(owner.Client, Url(receiver, "failed-only"), "job.failed", "job.canceled");
        var (disabled, _) = await CreateAsync(owner.Client, Url(receiver, "disabled"), "job.succeeded");
        await using (var db = host.NewDbContext())
            await db.Set<WebhookEndpoint>().Where(e => e.Id == disabled).ExecuteUpdateAsync(s => s.SetProperty(e => e.Enabled, false));

        var job = (await (await owner.Client.CreateJob("sleep", new { seconds = 1, actualCost = 1 })).Json(HttpStatusCode.Created)).Id();
        await owner.Client.WaitForJob(job, "succeeded");
        await WaitUntil(() => Requests(receiver, "succeeded").Count >= 1 && Requests(receiver, "started").Count >= 1);
        // Passes re-read the job's events until the rescan window is over and the cursor settles past them (a re-read
        // event must not be sent again); then a pass finds nothing left to send.
        await WaitUntil(() => CursorIsPast(host, job));
        await host.WaitForIdlePassAsync<WebhookWorker>();

        var request = Requests(receiver, "succeeded").ShouldHaveSingleItem();
        Verify(request, secret);
        request.Header("webhook-id")!.ShouldStartWith("msg_");
        request.Header("User-Agent")!.ShouldStartWith("Kiln-Webhooks");
        var body = JsonDocument.Parse(request.Body).RootElement;
        body.GetProperty("type").GetString().ShouldBe("job.succeeded");
        body.GetProperty("timestamp").GetDateTime().ShouldBeGreaterThan(DateTime.UtcNow.AddMinutes(-1));
        var data = body.GetProperty("data");
        data.GetProperty("jobId").GetGuid().ShouldBe(job);
        data.GetProperty("pipeline").GetString().ShouldBe("sleep");
        data.GetProperty("status").GetString().ShouldBe("succeeded");
        data.GetProperty("costEstimate").GetInt64().ShouldBe(2);
        data.GetProperty("costActual").GetInt64().ShouldBe(1);
        data.GetProperty("finishedAt").ValueKind.ShouldBe(JsonValueKind.String);
        data.GetProperty("links").GetProperty("job").GetString().ShouldBe($"/api/jobs/{job}");
        data.GetProperty("links").GetProperty("artifacts").GetString().ShouldBe($"/api/jobs/{job}/artifacts");

        var start = Requests(receiver, "started").ShouldHaveSingleItem();
        Verify(start, startedSecret);
        JsonDocument.Parse(start.Body).RootElement.GetProperty("type").GetString().ShouldBe("job.started");
        Requests(receiver, "failed-only").ShouldBeEmpty();
        Requests(receiver, "disabled").ShouldBeEmpty();

        var deliveries = await (await owner.Client.GetAsync($"/api/webhooks/{succeeded}/deliveries")).Json(HttpStatusCode.OK);
        deliveries.GetProperty("total").GetInt32().ShouldBe(1);
        var d = deliveries.GetProperty("items")[0];
        d.GetProperty("status").GetString().ShouldBe("succeeded");
        d.GetProperty("attempts").GetInt32().ShouldBe(1);
        d.GetProperty("lastStatusCode").GetInt32().ShouldBe(200);
        d.GetProperty("messageId").GetString().ShouldBe(request.Header("webhook-id"));
        (await (await owner.Client.GetAsync($"/api/webhooks/{failedOnly}/deliveries")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
        (await (await owner.Client.GetAsync($"/api/webhooks/{disabled}/deliveries")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);

        var list = await (await owner.Client.GetAsync("/api/webhooks")).Json(HttpStatusCode.OK);
        list.GetArrayLength().ShouldBe(4);
        var listed = list.EnumerateArray().Single(e => e.Id() == succeeded);
        listed.GetProperty("secret").ValueKind.ShouldBe(JsonValueKind.Null);
        listed.GetProperty("lastDelivery").GetProperty("status").GetString().ShouldBe("succeeded");
        _ = started;

        // A disabled endpoint refuses tests until its owner turns it back on; then it hears new events.
        (await (await owner.Client.PostAsync($"/api/webhooks/{disabled}/test", null)).Json(HttpStatusCode.Conflict)).GetProperty("code").GetString().ShouldBe("webhook_disabled");
        var enabled = await (await owner.Client.PostAsync($"/api/webhooks/{disabled}/enable", null)).Json(HttpStatusCode.OK);
        enabled.GetProperty("enabled").GetBoolean().ShouldBeTrue();
        enabled.GetProperty("disabledReason").ValueKind.ShouldBe(JsonValueKind.Null);
        (await owner.Client.PostAsync($"/api/webhooks/{disabled}/enable", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var second = (await (await owner.Client.CreateJob("sleep", new { seconds = 1, actualCost = 1 })).Json(HttpStatusCode.Created)).Id();
        await owner.Client.WaitForJob(second, "succeeded");
        await WaitUntil(() => Requests(receiver, "disabled").Count >= 1);
        var late = Requests(receiver, "disabled").ShouldHaveSingleItem();
        JsonDocument.Parse(late.Body).RootElement.GetProperty("data").GetProperty("jobId").GetGuid().ShouldBe(second);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_500_is_retried_and_delivered_once_and_exhausted_deliveries_can_be_retried_by_hand(string provider)
    {
        await using var receiver = await FakeProviderServer.StartAsync();
        var calls = new Dictionary<string, int>();
        receiver.Respond = (req, _) =>
        {
            lock (calls)
            {
                calls[req.PathAndQuery] = calls.GetValueOrDefault(req.PathAndQuery) + 1;
                if (req.PathAndQuery == "/down") return (503, "{}");
                return calls[req.PathAndQuery] == 1 ? (500, "{}") : (200, "{}");
            }
        };
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: Settings(maxAttempts: 2));
        var owner = await host.SignUpAsync();
        var (flaky, secret) = await CreateAsync(owner.Client, Url(receiver, "flaky"), "job.failed");
        var (down, _) = await CreateAsync(owner.Client, Url(receiver, "down"), "job.failed");

        var job = (await (await owner.Client.CreateJob("fail")).Json(HttpStatusCode.Created)).Id();
        var failed = await owner.Client.WaitForJob(job, "failed");
        await WaitUntil(() => Requests(receiver, "flaky").Count >= 2 && Requests(receiver, "down").Count >= 2);
        await WaitUntil(async () => (await Deliveries(owner.Client, down))[0].GetProperty("status").GetString() == "failed");
        await host.WaitForIdlePassAsync<WebhookWorker>(); // nothing more is due: no third attempt

        var attempts = Requests(receiver, "flaky");
        attempts.Count.ShouldBe(2);
        attempts.Select(r => r.Header("webhook-id")).Distinct().Count().ShouldBe(1, "a retry is the same message");
        attempts.Select(r => r.Body).Distinct().Count().ShouldBe(1);
        foreach (var r in attempts) Verify(r, secret);
        var data = JsonDocument.Parse(attempts[1].Body).RootElement.GetProperty("data");
        data.GetProperty("status").GetString().ShouldBe("failed");
        data.GetProperty("errorCode").GetString().ShouldBe(failed.GetProperty("errorCode").GetString());
        data.GetProperty("errorMessage").GetString()!.ShouldContain("always fails");

        var delivered = (await Deliveries(owner.Client, flaky)).ShouldHaveSingleItem();
        delivered.GetProperty("status").GetString().ShouldBe("succeeded");
        delivered.GetProperty("attempts").GetInt32().ShouldBe(2);

        // The always-down endpoint used its two attempts; a retry by hand is one more attempt.
        var exhausted = (await Deliveries(owner.Client, down)).ShouldHaveSingleItem();
        exhausted.GetProperty("attempts").GetInt32().ShouldBe(2);
        exhausted.GetProperty("lastStatusCode").GetInt32().ShouldBe(503);
        exhausted.GetProperty("lastError").GetString()!.ShouldContain("503");
        await (await owner.Client.PostAsync($"/api/webhooks/{down}/deliveries/{exhausted.Id()}/retry", null)).Json(HttpStatusCode.Accepted);
        await WaitUntil(async () => (await Deliveries(owner.Client, down))[0].GetProperty("attempts").GetInt32() == 3
                                    && (await Deliveries(owner.Client, down))[0].GetProperty("status").GetString() == "failed");
        await (await owner.Client.PostAsync($"/api/webhooks/{flaky}/deliveries/{delivered.Id()}/retry", null)).Problem(HttpStatusCode.Conflict, "delivery_not_retryable");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Several_dispatchers_at_once_send_every_event_exactly_once(string provider)
    {
        await using var receiver = await FakeProviderServer.StartAsync();
        receiver.Respond = (_, _) => (200, "{}");
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: Settings());
        var owner = await host.SignUpAsync();
        await CreateAsync(owner.Client, Url(receiver, "all"), "job.succeeded", "job.started");

        // The host's own loop plus two more dispatchers, as if three worker processes shared the database.
        using var stop = new CancellationTokenSource();
        var scopes = host.Services.GetRequiredService<IServiceScopeFactory>();
        var loops = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var dispatcher = new WebhookDispatcher(scopes);
            // Stopping ends the loop between passes, so no delivery is left claimed mid-send.
            while (!stop.IsCancellationRequested)
            {
                await dispatcher.RunOnceAsync(CancellationToken.None);
                await Task.Delay(20);
            }
        })).ToList();

        var jobs = new List<Guid>();
        for (var i = 0; i < 8; i++)
            jobs.Add((await (await owner.Client.CreateJob(i % 2 == 0 ? "noop" : "fail")).Json(HttpStatusCode.Created)).Id());
        foreach (var j in jobs) await owner.Client.WaitForJob(j, "succeeded", "failed");
        await WaitUntil(() => Requests(receiver, "all").Count(r => r.Body.Contains("\"job.succeeded\"", StringComparison.Ordinal)) >= 4);
        await host.WaitForIdlePassAsync<WebhookWorker>();
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        // Whatever the extra dispatchers did in their last pass, the host's loop has re-read the window and found nothing to do.
        await host.WaitForIdlePassAsync<WebhookWorker>();

        var received = Requests(receiver, "all");
        received.Select(r => r.Header("webhook-id")).Distinct().Count().ShouldBe(received.Count, "no message was sent twice");
        var types = received.Select(r => JsonDocument.Parse(r.Body).RootElement).Select(b => (b.GetProperty("type").GetString(), b.GetProperty("data").GetProperty("jobId").GetGuid())).ToList();
        types.Count(t => t.Item1 == "job.succeeded").ShouldBe(4);
        types.Distinct().Count().ShouldBe(types.Count, "one message per job and event type");
        types.Where(t => t.Item1 == "job.started").Select(t => t.Item2).ShouldAllBe(id => jobs.Contains(id));
        await using var db = host.NewDbContext();
        (await db.Set<WebhookDelivery>().CountAsync()).ShouldBe(received.Count);
        (await db.Set<WebhookDelivery>().CountAsync(d => d.Status != WebhookDeliveryStatus.Succeeded)).ShouldBe(0);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Urls_events_and_roles_are_checked(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        var c = owner.Client;
        await (await c.PostAsJsonAsync("/api/webhooks", new { url = "http://example.com/hook", events = new[] { "job.succeeded" } })).Problem(HttpStatusCode.BadRequest, "invalid_webhook_url");
        await (await c.PostAsJsonAsync("/api/webhooks", new { url = "ftp://example.com/hook", events = new[] { "job.succeeded" } })).Problem(HttpStatusCode.BadRequest, "invalid_webhook_url");
        await (await c.PostAsJsonAsync("/api/webhooks", new { url = "https://user:pw@example.com/hook", events = new[] { "job.succeeded" } })).Problem(HttpStatusCode.BadRequest, "invalid_webhook_url");
        await (await c.PostAsJsonAsync("/api/webhooks", new { url = "/relative", events = new[] { "job.succeeded" } })).Problem(HttpStatusCode.BadRequest, "invalid_webhook_url");
        await (await c.PostAsJsonAsync("/api/webhooks", new { url = "https://example.com/hook", events = Array.Empty<string>() })).Problem(HttpStatusCode.BadRequest, "invalid_event_types");
        await (await c.PostAsJsonAsync("/api/webhooks", new { url = "https://example.com/hook", events = new[] { "job.exploded" } })).Problem(HttpStatusCode.BadRequest, "invalid_event_types");
        var created = await (await c.PostAsJsonAsync("/api/webhooks", new { url = "https://example.com/hook", description = "CI", events = new[] { "job.failed", "job.succeeded" } })).Json(HttpStatusCode.Created);
        created.GetProperty("secret").GetString()!.ShouldStartWith("whsec_");
        created.GetProperty("events").EnumerateArray().Select(e => e.GetString()).ShouldBe(["job.succeeded", "job.failed"]);
        await (await c.PostAsync($"/api/webhooks/{Guid.NewGuid()}/test", null)).Problem(HttpStatusCode.NotFound, "not_found");

        // Members (and API keys, which act as members) do not manage webhooks.
        var colleague = await host.SignUpAsync();
        await KilnTestHost.JoinAsync(owner, colleague);
        await (await colleague.Client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/switch", null)).Json(HttpStatusCode.OK);
        await (await colleague.Client.GetAsync("/api/webhooks")).Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await colleague.Client.DeleteAsync($"/api/webhooks/{created.Id()}")).Problem(HttpStatusCode.Forbidden, "forbidden");
        var key = (await (await c.PostAsJsonAsync("/api/api-keys", new { name = "ci" })).Json(HttpStatusCode.Created)).GetProperty("key").GetString();
        var keyClient = host.CreateClient();
        keyClient.DefaultRequestHeaders.Authorization = new("Bearer", key);
        await (await keyClient.PostAsJsonAsync("/api/webhooks", new { url = "https://example.com/x", events = new[] { "job.failed" } })).Problem(HttpStatusCode.Forbidden, "forbidden");

        (await c.DeleteAsync($"/api/webhooks/{created.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await (await c.GetAsync("/api/webhooks")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(0);
    }

    /// <summary>The fan-out's cursor has moved past every event of <paramref name="job"/> it reads.</summary>
    private static async Task<bool> CursorIsPast(KilnTestHost host, Guid job)
    {
        await using var db = host.NewDbContext();
        var last = await db.JobEvents.IgnoreQueryFilters()
            .Where(e => e.JobId == job && (e.Type == JobEventTypes.Status || e.Type == JobEventTypes.Progress)).MaxAsync(e => (long?)e.Id) ?? 0;
        var cursor = await db.Set<WebhookCursor>().Where(c => c.Name == WebhookFanOut.CursorName).Select(c => (long?)c.Position).FirstOrDefaultAsync() ?? 0;
        return cursor >= last;
    }

    private static string Url(FakeProviderServer receiver, string path) => new Uri(receiver.BaseAddress, path).ToString();

    private static List<RecordedRequest> Requests(FakeProviderServer receiver, string path) =>
        receiver.Requests.Where(r => r.PathAndQuery == "/" + path).ToList();

    private static async Task<(Guid Id, string Secret)> CreateAsync(HttpClient client, string url, params string[] events)
    {
        var created = await (await client.PostAsJsonAsync("/api/webhooks", new { url, events })).Json(HttpStatusCode.Created);
        return (created.Id(), created.GetProperty("secret").GetString()!);
    }

    private static async Task<List<JsonElement>> Deliveries(HttpClient client, Guid endpoint) =>
        (await (await client.GetAsync($"/api/webhooks/{endpoint}/deliveries")).Json(HttpStatusCode.OK)).GetProperty("items").EnumerateArray().ToList();

    /// <summary>The receiver's side: the existing Standard Webhooks verifier accepts what Kiln sent.</summary>
    private static void Verify(RecordedRequest r, string secret)
    {
        r.ContentType.ShouldStartWith("application/json");
        new StandardWebhookVerifier(TimeProvider.System)
            .Verify(Encoding.UTF8.GetBytes(r.Body), r.Header("webhook-id"), r.Header("webhook-timestamp"), r.Header("webhook-signature"), secret)
            .ShouldBeNull();
    }

    private static Task WaitUntil(Func<bool> condition) => WaitUntil(() => Task.FromResult(condition()));

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not become true within 30 s.");
            await Task.Delay(100);
        }
    }
}

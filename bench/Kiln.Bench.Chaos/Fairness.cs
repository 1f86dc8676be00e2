using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Kiln.Bench.Chaos;

/// <summary>
/// The fairness scenario of issue 14 on real processes (one web process, one worker, PostgreSQL): workspace A queues a
/// deep backlog of no-op jobs at a cap of 2 before the worker starts; once the worker is draining it, workspace B submits
/// ten. Measures how long B's jobs waited to start, and whether B's ten finished before A's backlog drained. No faults.
/// </summary>
internal static class Fairness
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(ChaosOptions o, int backlog, int bJobs, int cap)
    {
        Console.Error.WriteLine($"# fairness: A queues {backlog} no-op jobs at cap {cap}, B submits {bJobs}; 1 web + 1 worker x {o.Concurrency} slots, PostgreSQL");
        await using var stack = await Stack.StartAsync(o with { Workers = 0, WebProcesses = 1 });
        var web = new Uri($"http://127.0.0.1:{stack.Webs[0].Port}");
        var a = await SignUpAsync(stack, web, "a");
        var b = await SignUpAsync(stack, web, "b");

        // A's backlog, created through the API before any worker runs (the ledger hold, idempotency and events included).
        var created = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(16))
            await Task.WhenAll(Enumerable.Range(0, backlog).Select(async _ =>
            {
                await gate.WaitAsync();
                try { await CreateAsync(a, web); }
                finally { gate.Release(); }
            }));
        var aWorkspace = await stack.PsqlAsync($"SELECT workspace_id FROM jobs WHERE id = '{await CreateAsync(a, web)}'");
        await stack.PsqlAsync($"UPDATE workspaces SET max_concurrent_jobs = {cap} WHERE id = '{aWorkspace}'");
        Console.Error.WriteLine($"# A's {backlog + 1} jobs created in {created.Elapsed.TotalSeconds:F1} s; starting the worker");

        stack.AddWorker(1);
        // Wait until the worker is draining A (its first successes), then B submits.
        for (var deadline = DateTime.UtcNow.AddSeconds(120); ; await Task.Delay(100))
        {
            if (int.Parse(await stack.PsqlAsync($"SELECT count(*) FROM jobs WHERE workspace_id = '{aWorkspace}' AND finished_at IS NOT NULL"), Inv) >= 20) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the worker did not start draining A's backlog");
        }
        var bIds = new List<Guid>();
        for (var i = 0; i < bJobs; i++) bIds.Add(await CreateAsync(b, web));
        var bList = string.Join(",", bIds.Select(id => $"'{id}'"));

        // Until every job of both is final (A's backlog drains at its cap).
        for (var deadline = DateTime.UtcNow.AddSeconds(o.MaxSeconds); ; await Task.Delay(500))
        {
            if (await stack.PsqlAsync("SELECT count(*) FROM jobs WHERE finished_at IS NULL") == "0") break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not every job finished within {o.MaxSeconds} s");
        }

        var waits = (await stack.PsqlAsync(
                $"SELECT extract(epoch FROM started_at - created_at) FROM jobs WHERE id IN ({bList}) ORDER BY created_at"))
            .Split('\n').Select(s => double.Parse(s, Inv)).ToList();
        var row = (await stack.PsqlAsync(
            $"""
             SELECT (SELECT extract(epoch FROM max(finished_at) - min(created_at)) FROM jobs WHERE id IN ({bList})),
                    (SELECT count(*) FROM jobs WHERE workspace_id = '{aWorkspace}' AND (finished_at IS NULL OR finished_at > (SELECT max(finished_at) FROM jobs WHERE id IN ({bList})))),
                    (SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM jobs WHERE workspace_id = '{aWorkspace}'),
                    (SELECT count(*) FROM jobs WHERE workspace_id = '{aWorkspace}' AND status <> (SELECT status FROM jobs WHERE id = '{bIds[0]}'))
             """)).Split('\t');
        var bSpan = double.Parse(row[0], Inv);
        var aLeft = int.Parse(row[1], Inv);
        var aDrain = double.Parse(row[2], Inv);
        var sorted = waits.Order().ToList();

        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"### Fairness: A {backlog + 1} queued no-op jobs at cap {cap}, B {bJobs} jobs; 1 web + 1 worker × {o.Concurrency} slots, PostgreSQL");
        sb.AppendLine();
        sb.AppendLine(Inv, $"- B's wait from creation to start: first job {waits[0] * 1000:F0} ms, median {sorted[sorted.Count / 2] * 1000:F0} ms, max {sorted[^1] * 1000:F0} ms");
        sb.AppendLine(Inv, $"- B's {bJobs} jobs from first creation to last finish: {bSpan:F2} s");
        sb.AppendLine(Inv, $"- A's jobs still queued or running when B's last job finished: {aLeft} of {backlog + 1}; A's backlog drained in {aDrain:F1} s");
        sb.AppendLine(Inv, $"- A's jobs that did not succeed: {row[3]}");
        var passed = waits[0] <= 1.0 && aLeft > 0 && row[3] == "0";
        sb.AppendLine(Inv, $"- [{(waits[0] <= 1.0 ? "x" : " ")}] B's first job started within 1 s");
        sb.AppendLine(Inv, $"- [{(aLeft > 0 ? "x" : " ")}] B's jobs all finished before A's backlog drained");
        sb.AppendLine();
        sb.AppendLine(passed ? "Result: PASS" : "Result: FAIL");
        Console.WriteLine(sb.ToString());
        if (o.Out is not null) await File.WriteAllTextAsync(o.Out, sb.ToString());
        return passed ? 0 : 1;
    }

    private static async Task<HttpClient> SignUpAsync(Stack stack, Uri web, string name)
    {
        var email = $"fair-{name}-{Guid.NewGuid():N}@example.test";
        const string password = "fairness bench password";
        using (var anon = new HttpClient { BaseAddress = web })
        {
            (await anon.PostAsJsonAsync("/api/auth/register", new { email, password })).EnsureSuccessStatusCode();
            await stack.Cli("credits", "grant", "--workspace", email, "--amount", "10000000", "--reason", "fairness bench", "--request-id", $"fair-{name}");
            var login = await (await anon.PostAsJsonAsync("/api/auth/login", new { email, password })).Content.ReadFromJsonAsync<JsonElement>();
            var client = new HttpClient { BaseAddress = web, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("accessToken").GetString());
            return client;
        }
    }

    private static async Task<Guid> CreateAsync(HttpClient client, Uri web)
    {
        var r = await client.PostAsJsonAsync(new Uri(web, "/api/jobs"), new { pipeline = "noop" });
        var body = await r.Content.ReadAsStringAsync();
        if ((int)r.StatusCode != 201) throw new InvalidOperationException($"job creation answered {(int)r.StatusCode}: {body}");
        return Guid.Parse(JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Kiln.Bench.Chaos;

/// <summary>One job the harness means to create: its kind, workspace and the idempotency key every retry reuses.</summary>
internal sealed record JobSpec(int Index, string Kind, int Workspace, string Key)
{
    public Guid? JobId { get; set; }
    public int Attempts { get; set; }
    public string? GaveUp { get; set; }

    public object Body(Guid pdf) => Kind switch
    {
        "noop" => new { pipeline = "noop" },
        "fail" => new { pipeline = "fail", options = new { transient = false } },
        "fail-transient" => new { pipeline = "fail", options = new { transient = true } },
        "sleep" => new { pipeline = "sleep", options = new { seconds = 1 } },
        "pdf-podcast" => new { pipeline = "pdf-podcast", uploads = new[] { pdf } },
        _ => throw new InvalidOperationException(Kind),
    };
}

/// <summary>
/// The clients: a few workspaces (signed up through the API, credits granted with `kiln credits grant`), a PDF uploaded
/// once per workspace, and the job creations — round-robin over the web processes, each retried with its own
/// Idempotency-Key on 503 (after Retry-After), 429 or a refused connection. Every answer is counted by status.
/// </summary>
internal sealed class Load(Stack stack, ChaosOptions o)
{
    private static readonly string[] Mix = ["noop", "noop", "noop", "noop", "noop", "noop", "noop", "fail", "fail-transient", "sleep", "sleep", "sleep", "sleep", "sleep", "sleep", "pdf-podcast", "pdf-podcast", "noop", "noop", "sleep"];
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly List<(HttpClient Client, Guid Pdf)> _workspaces = [];
    private int _next;

    public List<JobSpec> Specs { get; } = [];
    public IReadOnlyDictionary<string, int> Answers => _answers;
    public HttpClient Probe => _workspaces[0].Client;
    public DateTime? CreationEndedAt { get; private set; }

    public async Task PrepareAsync()
    {
        var pdf = await File.ReadAllBytesAsync(o.Pdf);
        const string password = "chaos harness password";
        var emails = Enumerable.Range(0, o.Workspaces).Select(w => $"chaos-{w}-{Guid.NewGuid():N}@example.test").ToList();
        for (var w = 0; w < o.Workspaces; w++)
        {
            using var anon = new HttpClient { BaseAddress = Base(w) };
            (await anon.PostAsJsonAsync("/api/auth/register", new { email = emails[w], password })).EnsureSuccessStatusCode();
        }
        // One `kiln credits grant` per workspace, all at once (each is a process start).
        await Task.WhenAll(emails.Select((email, w) =>
            stack.Cli("credits", "grant", "--workspace", email, "--amount", "10000000", "--reason", "chaos harness", "--request-id", $"chaos-{w}")));
        for (var w = 0; w < o.Workspaces; w++)
        {
            var email = emails[w];
            using var anon = new HttpClient { BaseAddress = Base(w) };
            var login = await (await anon.PostAsJsonAsync("/api/auth/login", new { email, password })).Content.ReadFromJsonAsync<JsonElement>();
            var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2), PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
            { Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("accessToken").GetString());
            _workspaces.Add((client, await UploadAsync(client, Base(w), pdf)));
        }
        for (var i = 0; i < o.Jobs; i++) Specs.Add(new JobSpec(i, Mix[i % Mix.Length], i % o.Workspaces, $"chaos-{i}-{Guid.NewGuid():N}"));
    }

    private Uri Base(int i) => new($"http://127.0.0.1:{stack.Webs[i % stack.Webs.Count].Port}");

    /// <summary>Creates every job, paced evenly over <see cref="ChaosOptions.CreateSeconds"/>, 16 requests in flight at most.</summary>
    public async Task CreateAllAsync(CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(16);
        var started = Stopwatch.StartNew();
        var tasks = new List<Task>();
        foreach (var spec in Specs)
        {
            var due = TimeSpan.FromSeconds(o.CreateSeconds * (double)spec.Index / Specs.Count);
            if (due > started.Elapsed) await Task.Delay(due - started.Elapsed, ct);
            await gate.WaitAsync(ct);
            tasks.Add(Task.Run(async () =>
            {
                try { await CreateAsync(spec, ct); }
                finally { gate.Release(); }
            }, ct));
        }
        await Task.WhenAll(tasks);
        CreationEndedAt = DateTime.UtcNow;
    }

    private async Task CreateAsync(JobSpec spec, CancellationToken ct)
    {
        var (client, pdf) = _workspaces[spec.Workspace];
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
        {
            spec.Attempts++;
            var target = Base(Interlocked.Increment(ref _next));
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target, "/api/jobs")) { Content = JsonContent.Create(spec.Body(pdf)) };
            request.Headers.Add("Idempotency-Key", spec.Key);
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, ct);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException or IOException || e.HttpRequestError is HttpRequestError.ConnectionError)
            {
                Count("connection refused/reset (web process down)");
                await Task.Delay(200, ct);
                continue;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                Count("client timeout");
                continue;
            }
            using (response)
            {
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync(ct);
                if (status is 201 or 200)
                {
                    Count(status.ToString(CultureInfo.InvariantCulture));
                    spec.JobId = Guid.Parse(JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!);
                    return;
                }
                var code = status >= 400 && body.StartsWith('{') && JsonDocument.Parse(body).RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
                var retryAfter = response.Headers.RetryAfter?.Delta;
                Count($"{status} {code}{(status == 503 && retryAfter is null ? " WITHOUT Retry-After" : "")}");
                if (status is 503 or 429 or 502 or 504 || status >= 500)
                {
                    await Task.Delay(retryAfter is { } r && r < TimeSpan.FromSeconds(5) ? r : TimeSpan.FromSeconds(1), ct);
                    continue;
                }
                spec.GaveUp = $"{status} {code}: {body}";
                return;
            }
        }
        spec.GaveUp ??= "gave up after 120 s of retries";
    }

    private void Count(string what) => _answers.AddOrUpdate(what, 1, (_, n) => n + 1);

    /// <summary>create → PUT each part to its presigned S3 URL → complete.</summary>
    private static async Task<Guid> UploadAsync(HttpClient client, Uri baseUri, byte[] bytes)
    {
        var start = await client.PostAsJsonAsync(new Uri(baseUri, "/api/uploads"), new { fileName = "chaos.pdf", size = bytes.LongLength, contentType = "application/pdf" });
        var created = await ReadAsync(start, HttpStatusCode.Created);
        var partSize = created.GetProperty("partSize").GetInt64();
        var parts = new List<object>();
        using var network = new HttpClient();
        foreach (var part in created.GetProperty("parts").EnumerateArray())
        {
            var n = part.GetProperty("partNumber").GetInt32();
            var offset = (int)((n - 1) * partSize);
            var length = (int)Math.Min(partSize, bytes.Length - offset);
            using var put = new HttpRequestMessage(HttpMethod.Put, part.GetProperty("url").GetString()) { Content = new ByteArrayContent(bytes, offset, length) };
            var r = await network.SendAsync(put);
            r.EnsureSuccessStatusCode();
            parts.Add(new { partNumber = n, etag = r.Headers.ETag?.Tag ?? "" });
        }
        var id = created.GetProperty("id").GetString();
        var done = await ReadAsync(await client.PostAsJsonAsync(new Uri(baseUri, $"/api/uploads/{id}/complete"), new { parts }), HttpStatusCode.OK);
        return Guid.Parse(done.GetProperty("id").GetString()!);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage r, HttpStatusCode expected)
    {
        var body = await r.Content.ReadAsStringAsync();
        if (r.StatusCode != expected) throw new InvalidOperationException($"{r.RequestMessage?.RequestUri} answered {(int)r.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

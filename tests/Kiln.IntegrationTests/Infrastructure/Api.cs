using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Kiln.IntegrationTests.Infrastructure;

public static class Api
{
    public static async Task<JsonElement> Json(this HttpResponseMessage r, HttpStatusCode expected)
    {
        var body = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(expected, body);
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with the given status and stable code.</summary>
    public static async Task<JsonElement> Problem(this HttpResponseMessage r, HttpStatusCode status, string code)
    {
        var body = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(status, body);
        r.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", body);
        var json = JsonDocument.Parse(body).RootElement.Clone();
        json.GetProperty("code").GetString().ShouldBe(code, body);
        json.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        return json;
    }

    public static Task<HttpResponseMessage> CreateJob(this HttpClient c, string pipeline, object? options = null, Guid[]? uploads = null, string? idempotencyKey = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(new { pipeline, options, uploads }) };
        if (idempotencyKey is not null) req.Headers.Add("Idempotency-Key", idempotencyKey);
        return c.SendAsync(req);
    }

    public static async Task<JsonElement> Balance(this HttpClient c) => await (await c.GetAsync("/api/credits")).Json(HttpStatusCode.OK);

    /// <summary>Polls the job until it reaches one of <paramref name="statuses"/>.</summary>
    public static async Task<JsonElement> WaitForJob(this HttpClient c, Guid id, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement job = default;
        while (DateTime.UtcNow < deadline)
        {
            job = await (await c.GetAsync($"/api/jobs/{id}")).Json(HttpStatusCode.OK);
            if (statuses.Contains(job.GetProperty("status").GetString())) return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Job {id} did not reach {string.Join('/', statuses)}; last: {job}");
    }

    public static Guid Id(this JsonElement e) => Guid.Parse(e.GetProperty("id").GetString()!);
}

public static class Uploads
{
    private static readonly HttpClient Network = new();

    /// <summary>The whole upload flow over HTTP: create → PUT each part to its signed URL → complete.</summary>
    public static async Task<HttpResponseMessage> UploadAsync(this HttpClient c, string fileName, byte[] bytes, string contentType = "application/octet-stream")
    {
        var start = await c.PostAsJsonAsync("/api/uploads", new { fileName, size = bytes.LongLength, contentType });
        if (start.StatusCode != HttpStatusCode.Created) return start;
        var created = await start.Json(HttpStatusCode.Created);
        var partSize = created.GetProperty("partSize").GetInt64();
        var parts = new List<object>();
        foreach (var part in created.GetProperty("parts").EnumerateArray())
        {
            var n = part.GetProperty("partNumber").GetInt32();
            var offset = (int)((n - 1) * partSize);
            var length = (int)Math.Min(partSize, bytes.Length - offset);
            var put = new HttpRequestMessage(HttpMethod.Put, part.GetProperty("url").GetString()) { Content = new ByteArrayContent(bytes, offset, Math.Max(0, length)) };
            // Part URLs of the local store point at the test host; S3 presigned URLs at a real server.
            var r = await (put.RequestUri!.Host == "localhost" ? c : Network).SendAsync(put);
            r.EnsureSuccessStatusCode();
            parts.Add(new { partNumber = n, etag = r.Headers.ETag?.Tag ?? "" });
        }
        return await c.PostAsJsonAsync($"/api/uploads/{created.Id()}/complete", new { parts });
    }

    public static async Task<Guid> UploadReadyAsync(this HttpClient c, string fileName, byte[] bytes) =>
        (await (await c.UploadAsync(fileName, bytes)).Json(HttpStatusCode.OK)).Id();
}

using System.Net;
using System.Text;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Api;

/// <summary>Junk never reaches a 500: every answer is a 4xx problem detail with a code.</summary>
public sealed class JunkInputTests(PostgresServer pg)
{
    [Fact]
    public async Task Junk_requests_get_4xx_problems_not_500s()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var user = await host.SignUpAsync();
        var pdf = await user.Client.UploadReadyAsync("paper.pdf", Kiln.Core.Tests.Support.TestFiles.Pdf(3));
        var requests = new (HttpMethod Method, string Url, string? Body)[]
        {
            (HttpMethod.Get, "/api/jobs?page=abc", null),
            (HttpMethod.Get, "/api/jobs?status=7", null),
            (HttpMethod.Get, "/api/jobs/not-a-guid", null),
            (HttpMethod.Get, "/api/credits/entries?kind=3", null),
            (HttpMethod.Get, "/api/uploads?status=nope", null),
            (HttpMethod.Post, "/api/jobs", "null"),
            (HttpMethod.Post, "/api/jobs", "{}"),
            (HttpMethod.Post, "/api/jobs", """{"pipeline":"noop","uploads":"x"}"""),
            (HttpMethod.Post, "/api/jobs", """{"pipeline":"noop","priority":"high"}"""),
            (HttpMethod.Post, "/api/jobs", """{"pipeline":"sleep","options":{"seconds":"ten"}}"""),
            (HttpMethod.Post, "/api/jobs/estimate", "[]"),
            (HttpMethod.Post, "/api/jobs", """{"pipeline":"sleep","options":{"cost":"free","actualCost":[]}}"""),
            (HttpMethod.Post, "/api/jobs", """{"pipeline":"pdf-podcast","uploads":["PDF"],"options":{"pages":5,"maxChapters":"many","audio":"yes","hosts":7,"style":{}}}""".Replace("PDF", pdf.ToString(), StringComparison.Ordinal)),
            (HttpMethod.Post, "/api/jobs", """{"pipeline":"pdf-podcast","uploads":["PDF"],"options":{"hosts":["", "x", "y"],"maxChapters":1e9}}""".Replace("PDF", pdf.ToString(), StringComparison.Ordinal)),
            (HttpMethod.Post, "/api/jobs", """{"pipeline":"pdf-podcast","uploads":["PDF","PDF"]}""".Replace("PDF", pdf.ToString(), StringComparison.Ordinal)),
            (HttpMethod.Post, "/api/uploads", """{"fileName":"","size":10}"""),
            (HttpMethod.Post, "/api/uploads", """{"fileName":"a.pdf","size":-1}"""),
            (HttpMethod.Post, "/api/uploads", """{"fileName":"a.exe","size":10}"""),
            (HttpMethod.Post, $"/api/uploads/{Guid.NewGuid()}/complete", """{"parts":[{"partNumber":-1,"etag":null}]}"""),
            (HttpMethod.Post, "/api/uploads/from-url", "{}"),
            (HttpMethod.Post, "/api/uploads/from-url", "null"),
            (HttpMethod.Post, "/api/uploads/from-url", """{"url":42}"""),
            (HttpMethod.Post, "/api/uploads/from-url", """{"url":["http://a"]}"""),
            (HttpMethod.Post, "/api/uploads/from-url", """{"url":"http://[::1"}"""),
            (HttpMethod.Post, "/api/uploads/from-url", """{"url":"http://169.254.169.254/latest/meta-data/"}"""),
            (HttpMethod.Post, "/api/api-keys", """{"name":""}"""),
            (HttpMethod.Put, "/api/workspace", """{"name":""}"""),
            (HttpMethod.Post, "/api/workspace/invitations", """{"email":null}"""),
            (HttpMethod.Post, "/api/billing/checkout", """{"kind":"car","itemId":"x"}"""),
            (HttpMethod.Post, "/api/auth/login", """{"email":"x","password":"y"}"""),
            (HttpMethod.Post, "/api/auth/refresh", """{"refreshToken":"garbage"}"""),
            (HttpMethod.Post, "/api/auth/register", """{"email":"not-an-email","password":"x"}"""),
            (HttpMethod.Post, "/api/auth/register", $$"""{"email":"long-{{Guid.NewGuid():N}}@example.com","password":"a long enough password 123","displayName":"{{new string('x', 250)}}"}"""),
            (HttpMethod.Get, "/blobs/ws/x/../../secret?exp=1&sig=abc", null),
            (HttpMethod.Put, "/blobs/anything?exp=abc", "x"),
            (HttpMethod.Post, "/api/webhooks", "null"),
            (HttpMethod.Post, "/api/webhooks", """{"url":42,"events":"job.succeeded"}"""),
            (HttpMethod.Post, "/api/webhooks", """{"url":"https://example.com","events":[null, 3]}"""),
            (HttpMethod.Post, "/api/webhooks", """{"url":"javascript:alert(1)","events":["job.failed"]}"""),
            (HttpMethod.Get, $"/api/webhooks/{Guid.NewGuid()}/deliveries?page=abc", null),
            (HttpMethod.Post, $"/api/webhooks/{Guid.NewGuid()}/deliveries/not-a-guid/retry", null),
            (HttpMethod.Post, "/webhooks/stripe", "{}"),
            (HttpMethod.Post, "/webhooks/unknown", "{}"),
        };
        var failures = new List<string>();
        foreach (var (method, url, body) in requests)
        {
            var request = new HttpRequestMessage(method, url) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
            var response = await user.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode >= 500 || (int)response.StatusCode < 400)
                failures.Add($"{method} {url} {body} → {(int)response.StatusCode} {text}");
            else if (response.Content.Headers.ContentType?.MediaType != "application/problem+json" || !text.Contains("\"code\"", StringComparison.Ordinal))
                failures.Add($"{method} {url} {body} → {(int)response.StatusCode} without a problem detail: {text}");
        }
        failures.ShouldBeEmpty(string.Join('\n', failures) + "\n" + string.Join('\n', host.Errors.Entries));
    }
}

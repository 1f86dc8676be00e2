using System.Net;
using System.Text.Json;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Api;

/// <summary>
/// The API describes itself: every operation in <c>/openapi/v1.json</c> documents its success with a schema and its
/// errors as problem details. The few successes that have no JSON body are listed here, each with what it does say.
/// </summary>
public sealed class OpenApiDocumentTests(PostgresServer pg)
{
    private const string Problem = "application/problem+json";

    /// <summary>Successes without a JSON schema, on purpose: each must document exactly this.</summary>
    private static readonly Dictionary<string, (string Status, string? ContentType)> Exceptions = new()
    {
        // Server-Sent Events: a text stream, not a JSON document.
        ["GET /api/jobs/{id}/events"] = ("200", "text/event-stream"),
        ["GET /api/events"] = ("200", "text/event-stream"),
        // A redirect to a signed URL of the artifact's bytes.
        ["GET /api/jobs/{id}/artifacts/{artifactId}/download"] = ("302", null),
        // A redirect to a signed URL of a data export's zip.
        ["GET /api/account/exports/{id}/download"] = ("302", null),
        // A signed PUT of raw bytes; the part's ETag is the ETag header, the body is empty.
        ["PUT /blobs/{key}"] = ("200", null),
    };

    /// <summary>Operations with no error of their own (anonymous, no input): nothing to document but a 500.</summary>
    private static readonly HashSet<string> NeverFails = ["GET /api/billing/catalog"];

    [Fact]
    public async Task Every_operation_documents_a_success_schema_and_problem_details_for_its_errors()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var response = await host.CreateClient().GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var operations = new List<string>();
        var failures = new List<string>();
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        foreach (var op in path.Value.EnumerateObject())
        {
            if (op.Name is "parameters" or "summary" or "description" or "servers") continue;
            var name = $"{op.Name.ToUpperInvariant()} {path.Name}";
            operations.Add(name);
            var responses = op.Value.TryGetProperty("responses", out var r) ? r.EnumerateObject().ToList() : [];

            var successes = responses.Where(x => x.Name.StartsWith('2') || x.Name.StartsWith('3')).ToList();
            if (successes.Count == 0) failures.Add($"{name}: no 2xx response documented");
            foreach (var s in successes)
            {
                var content = s.Value.TryGetProperty("content", out var c) ? c.EnumerateObject().ToList() : [];
                if (Exceptions.TryGetValue(name, out var expected) && expected.Status == s.Name)
                {
                    if (expected.ContentType is null && content.Count > 0) failures.Add($"{name}: {s.Name} should document no body");
                    if (expected.ContentType is { } type && !content.Any(x => x.Name == type)) failures.Add($"{name}: {s.Name} should document {type}");
                }
                else if (s.Name == "204" || s.Name.StartsWith('3'))
                {
                    if (content.Count > 0) failures.Add($"{name}: {s.Name} has no body but documents one");
                }
                else if (content.Count == 0 || !content.All(x => x.Value.TryGetProperty("schema", out _)))
                    failures.Add($"{name}: {s.Name} has no response schema");
            }

            var errors = responses.Where(x => x.Name[0] is '4' or '5').ToList();
            if (errors.Count == 0 != NeverFails.Contains(name)) failures.Add($"{name}: {(errors.Count == 0 ? "no error response documented" : "documents errors: take it off NeverFails")}");
            foreach (var e in errors)
            {
                if (!e.Value.TryGetProperty("content", out var c) || !c.TryGetProperty(Problem, out var problem) || !problem.TryGetProperty("schema", out _))
                    failures.Add($"{name}: {e.Name} is not documented as {Problem}");
            }
        }

        failures.ShouldBeEmpty(string.Join(Environment.NewLine, failures));
        // Not vacuous: every area of the API is in the document, and every listed exception is still an operation.
        foreach (var expected in new[]
                 {
                     "POST /api/jobs", "GET /api/credits/entries", "POST /api/billing/checkout", "POST /webhooks/stripe", "POST /api/webhooks",
                     "POST /api/uploads", "POST /api/auth/register", "GET /api/me", "PUT /api/workspace", "POST /api/admin/credits/grant",
                     "GET /api/admin/billing/events", "GET /api/pipelines", "GET /blobs/{key}",
                 })
            operations.ShouldContain(expected);
        foreach (var exception in Exceptions.Keys.Concat(NeverFails)) operations.ShouldContain(exception);
    }
}

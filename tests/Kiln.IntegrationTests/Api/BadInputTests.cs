using System.Net;
using System.Text;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Api;

/// <summary>Bad input gets a clear problem detail and leaves nothing behind: no job, no hold, no stored bytes.</summary>
public sealed class BadInputTests(PostgresServer pg)
{
    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "sqlite", "not-a-pdf", "type_mismatch" }, { "postgres", "not-a-pdf", "type_mismatch" },
        { "sqlite", "truncated", "pdf_invalid" }, { "postgres", "truncated", "pdf_invalid" },
        { "sqlite", "encrypted", "pdf_encrypted" }, { "postgres", "encrypted", "pdf_encrypted" },
        { "sqlite", "empty", "empty_file" }, { "postgres", "empty", "empty_file" },
    };

    [Theory, MemberData(nameof(BadFiles))]
    public async Task Rejected_uploads_explain_themselves_and_leave_nothing(string provider, string kind, string code)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var bytes = kind switch
        {
            "not-a-pdf" => Encoding.UTF8.GetBytes("<html>this is not a pdf</html>"),
            "truncated" => TestFiles.TruncatedPdf(),
            "encrypted" => TestFiles.EncryptedPdf(),
            _ => [],
        };
        var response = await user.Client.UploadAsync("paper.pdf", bytes);
        response.StatusCode.ShouldBeOneOf(HttpStatusCode.UnprocessableEntity, HttpStatusCode.BadRequest);
        await response.Problem(response.StatusCode, code);
        StoredFiles(host).ShouldBeEmpty();
        await using var db = host.NewDbContext();
        (await db.Jobs.CountAsync()).ShouldBe(0);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Oversize_upload_is_refused_up_front(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, new Dictionary<string, string?> { ["Kiln:Uploads:MaxBytes"] = "1000" });
        var user = await host.SignUpAsync();
        var r = await user.Client.PostAsync("/api/uploads", Json("""{"fileName":"big.pdf","size":5000,"contentType":"application/pdf"}"""));
        await r.Problem(HttpStatusCode.RequestEntityTooLarge, "upload_too_large");
        StoredFiles(host).ShouldBeEmpty();
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_abandoned_multipart_upload_can_be_deleted_and_leaves_nothing(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, new Dictionary<string, string?> { ["Kiln:Uploads:PartSize"] = "1048576" });
        var user = await host.SignUpAsync();
        var created = await (await user.Client.PostAsync("/api/uploads", Json("""{"fileName":"big.pdf","size":3000000,"contentType":"application/pdf"}"""))).Json(HttpStatusCode.Created);
        created.GetProperty("parts").GetArrayLength().ShouldBe(3);
        var id = created.GetProperty("id").GetString();
        (await user.Client.DeleteAsync($"/api/uploads/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent, string.Join('\n', host.Errors.Entries));

        var second = await (await user.Client.PostAsync("/api/uploads", Json("""{"fileName":"big.pdf","size":3000000,"contentType":"application/pdf"}"""))).Json(HttpStatusCode.Created);
        var part = second.GetProperty("parts")[0].GetProperty("url").GetString();
        (await user.Client.PutAsync(part, new ByteArrayContent(new byte[1048576]))).EnsureSuccessStatusCode();
        (await user.Client.DeleteAsync($"/api/uploads/{second.GetProperty("id").GetString()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent, string.Join('\n', host.Errors.Entries));
        StoredFiles(host).ShouldBeEmpty();
        (await user.Client.GetAsync($"/api/uploads/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Bad_job_requests_create_nothing(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var pdf = await user.Client.UploadReadyAsync("paper.pdf", TestFiles.Pdf(3));

        await (await user.Client.PostAsync("/api/jobs", Json("{ not json"))).Problem(HttpStatusCode.BadRequest, "invalid_request_body");
        await (await user.Client.PostAsync("/api/jobs", Json("{\"pipeline\":5}"))).Problem(HttpStatusCode.BadRequest, "invalid_request_body");
        await (await user.Client.PostAsync("/api/uploads", Json("[]"))).Problem(HttpStatusCode.BadRequest, "invalid_request_body");
        await (await user.Client.PostAsync("/api/jobs", Json("""{"pipeline":"nope"}"""))).Problem(HttpStatusCode.BadRequest, "unknown_pipeline");
        await (await user.Client.PostAsync("/api/jobs", Json("""{"pipeline":"noop","options":[1,2]}"""))).Problem(HttpStatusCode.UnprocessableEntity, "invalid_options");
        await (await user.Client.PostAsync("/api/jobs", Json("""{"pipeline":"sleep","options":{"seconds":0}}"""))).Problem(HttpStatusCode.UnprocessableEntity, "invalid_options");
        await (await user.Client.PostAsync("/api/jobs", Json("""{"pipeline":"sleep","options":{"sconds":3}}"""))).Problem(HttpStatusCode.UnprocessableEntity, "invalid_options");
        await (await user.Client.PostAsync("/api/jobs", Json($$$"""{"pipeline":"noop","inputs":{"source":"{{{pdf}}}"}}"""))).Problem(HttpStatusCode.BadRequest, "unexpected_input");
        await (await user.Client.PostAsync("/api/jobs", Json($$"""{"pipeline":"noop","uploads":["{{Guid.NewGuid()}}"]}"""))).Problem(HttpStatusCode.NotFound, "not_found");
        await (await user.Client.PostAsync("/api/jobs", Json("""{"pipeline":"noop","options":{"cost":1000}}"""))).Problem(HttpStatusCode.PaymentRequired, "insufficient_credits");
        if (await HasPipeline(user, "pdf-podcast"))
        {
            foreach (var pages in new[] { "0-2", "3-1", "abc", "1-99" })
                await (await user.Client.PostAsync("/api/jobs", Json($$$"""{"pipeline":"pdf-podcast","uploads":["{{{pdf}}}"],"options":{"pages":"{{{pages}}}"}}""")))
                    .Problem(HttpStatusCode.BadRequest, "invalid_page_range");
        }

        await using var db = host.NewDbContext();
        (await db.Jobs.CountAsync()).ShouldBe(0);
        (await db.CreditHolds.CountAsync()).ShouldBe(0);
        (await user.Client.Balance()).GetProperty("held").GetInt64().ShouldBe(0);
    }

    private static async Task<bool> HasPipeline(TestUser user, string id) =>
        (await (await user.Client.GetAsync("/api/pipelines")).Json(HttpStatusCode.OK)).EnumerateArray().Any(p => p.GetProperty("id").GetString() == id);

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private static string[] StoredFiles(KilnTestHost host) =>
        Directory.Exists(host.BlobPath) ? Directory.GetFiles(host.BlobPath, "*", SearchOption.AllDirectories) : [];
}

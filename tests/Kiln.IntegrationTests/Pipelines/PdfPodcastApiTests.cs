using System.Net;
using System.Security.Cryptography;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Pipelines;

/// <summary>The first real pipeline end to end through the API: upload a PDF, estimate, run, download the script.</summary>
public sealed class PdfPodcastApiTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Upload_estimate_run_and_download_the_script(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        var pages = Enumerable.Range(1, 6).Select(i => $"Chapter {i}. The history of kilns\nKilns fire clay at high temperature. Chapter {i} explains why potters care about heat and time.").ToArray();
        var upload = await (await user.Client.UploadAsync("kilns.pdf", TestPdf.Create(pages))).Json(HttpStatusCode.OK);
        upload.GetProperty("status").GetString().ShouldBe("ready");
        var uploadId = upload.Id();

        var estimate = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "pdf-podcast", uploads = new[] { uploadId }, options = new { pages = "1-5" } })).Json(HttpStatusCode.OK);
        estimate.GetProperty("estimatedCost").GetInt64().ShouldBe(1);
        estimate.GetProperty("availableAfter").GetInt64().ShouldBe(24);

        var job = await (await user.Client.CreateJob("pdf-podcast", new { pages = "1-5" }, [uploadId])).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());

        var artifacts = await (await user.Client.GetAsync($"/api/jobs/{job.Id()}/artifacts")).Json(HttpStatusCode.OK);
        var names = artifacts.EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList();
        names.ShouldContain("script.json");
        names.ShouldContain("script.md");
        var md = artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "script.md");
        var download = await user.Client.GetAsync(md.GetProperty("downloadUrl").GetString());
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        download.Content.Headers.ContentDisposition!.ToString().ShouldContain("script.md");
        var bytes = await download.Content.ReadAsByteArrayAsync();
        Convert.ToHexStringLower(SHA256.HashData(bytes)).ShouldBe(md.GetProperty("sha256").GetString());
        System.Text.Encoding.UTF8.GetString(bytes).ShouldContain("kiln", Case.Insensitive);

        var script = JsonDocument.Parse(await user.Client.GetByteArrayAsync(
            artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "script.json").GetProperty("downloadUrl").GetString())).RootElement;
        script.GetProperty("chapters").GetArrayLength().ShouldBeGreaterThan(0);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(24);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Storage;

/// <summary>
/// Multipart uploads to the local store through the real <c>/blobs</c> endpoint (issue 14): parts written in place,
/// out of order and sent again, the recorded hash of exactly the stored bytes, and the per-IP limit counting refused
/// signatures only.
/// </summary>
public sealed class LocalMultipartUploadTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Parts_sent_out_of_order_and_again_make_the_file_and_only_refused_signatures_count_against_the_limit(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, overrides: new Dictionary<string, string?>
        {
            ["Kiln:Uploads:PartSize"] = "65536",
            ["Kiln:RateLimit:BlobsPerMinute"] = "2",
        });
        var user = await host.SignUpAsync();
        var wav = TestFiles.Wav(2);
        var created = await (await user.Client.PostAsJsonAsync("/api/uploads", new { fileName = "tone.wav", size = wav.Length, contentType = "audio/wav" })).Json(HttpStatusCode.Created);
        var parts = created.GetProperty("parts").EnumerateArray().ToList();
        parts.Count.ShouldBe(3);

        async Task<string> PutAsync(JsonElement part, byte[] body)
        {
            var response = await user.Client.PutAsync(part.GetProperty("url").GetString()!, new ByteArrayContent(body));
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return response.Headers.ETag!.Tag;
        }
        byte[] Slice(int n) => wav[((n - 1) * 65536)..Math.Min(wav.Length, n * 65536)];

        // Five valid PUTs against a limit of two a minute: a signed part is not counted.
        var etags = new Dictionary<int, string>();
        foreach (var n in new[] { 2, 3, 1 }) etags[n] = await PutAsync(parts[n - 1], Slice(n));
        var wrong = Slice(2).ToArray();
        wrong[100] ^= 0xFF;
        var stale = await PutAsync(parts[1], wrong);
        etags[2] = await PutAsync(parts[1], Slice(2)); // sent again: the last write counts, under a new ETag
        etags[2].ShouldNotBe(stale);

        // A refused signature is counted: the third one in the minute is limited.
        var forged = parts[0].GetProperty("url").GetString()!.Replace("sig=", "sig=x", StringComparison.Ordinal);
        await (await user.Client.PutAsync(forged, new ByteArrayContent([1]))).Problem(HttpStatusCode.Forbidden, "invalid_signature");
        await (await user.Client.PutAsync(forged, new ByteArrayContent([1]))).Problem(HttpStatusCode.Forbidden, "invalid_signature");
        await (await user.Client.PutAsync(forged, new ByteArrayContent([1]))).Problem(HttpStatusCode.TooManyRequests, "rate_limited");

        // The ETag of a replaced write no longer completes the upload; the current ones do.
        await (await user.Client.PostAsJsonAsync($"/api/uploads/{created.Id()}/complete", new { parts = new[] { new { partNumber = 1, eTag = etags[1] }, new { partNumber = 2, eTag = stale }, new { partNumber = 3, eTag = etags[3] } } }))
            .Problem(HttpStatusCode.Conflict, "upload_incomplete");
        var ready = await (await user.Client.PostAsJsonAsync($"/api/uploads/{created.Id()}/complete", new { parts = etags.OrderBy(e => e.Key).Select(e => new { partNumber = e.Key, eTag = e.Value }) })).Json(HttpStatusCode.OK);
        ready.GetProperty("status").GetString().ShouldBe("ready");

        await using var db = host.NewDbContext();
        var upload = await db.Uploads.IgnoreQueryFilters().SingleAsync(u => u.Id == created.Id());
        upload.Sha256.ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(wav)));
        (await File.ReadAllBytesAsync(Path.Combine(host.BlobPath, upload.BlobKey))).ShouldBe(wav);
        Directory.EnumerateFileSystemEntries(Path.Combine(host.BlobPath, ".multipart")).ShouldBeEmpty();
        // The part links died with the staging file.
        await (await user.Client.PutAsync(parts[2].GetProperty("url").GetString()!, new ByteArrayContent(Slice(3)))).Problem(HttpStatusCode.Conflict, "upload_closed");
    }
}

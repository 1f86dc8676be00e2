using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Podcasts;

/// <summary>Media made with ffmpeg for the podcast tests, the test pipeline's registration, and API shortcuts.</summary>
public static class PodcastTestKit
{
    public static readonly Dictionary<string, string?> Settings = new() { ["Kiln:Podcasts:PollSeconds"] = "0.1" };

    public static void AddTestPipeline(IServiceCollection s)
    {
        s.AddSingleton<Kiln.Core.Pipelines.IPipeline, TestPodcastEpisodePipeline>();
        s.Configure<Kiln.Core.Podcasts.PodcastOptions>(o => o.PipelineId = TestPodcastEpisodePipeline.PipelineId);
    }

    private static readonly Dictionary<string, byte[]> Cache = [];

    /// <summary>An image of the given size made by ffmpeg (cached per shape: the suite makes each once).</summary>
    public static byte[] Image(int width, int height, string ext = "jpg", string? pixFmt = null)
    {
        var key = $"{width}x{height}.{ext}.{pixFmt}";
        lock (Cache)
        {
            if (Cache.TryGetValue(key, out var cached)) return cached;
            var args = new List<string> { "-v", "error", "-y", "-f", "lavfi", "-i", $"color=c=0x3366cc:s={width}x{height}", "-frames:v", "1" };
            if (pixFmt is not null) args.AddRange(["-pix_fmt", pixFmt]);
            return Cache[key] = Ffmpeg(ext, args);
        }
    }

    /// <summary>A short real MP3 (a tone), as a podcaster would upload.</summary>
    public static byte[] Mp3(int seconds = 3)
    {
        lock (Cache)
        {
            var key = $"mp3-{seconds}";
            if (Cache.TryGetValue(key, out var cached)) return cached;
            return Cache[key] = Ffmpeg("mp3", ["-v", "error", "-y", "-f", "lavfi", "-i", $"sine=f=330:d={seconds}", "-ac", "1", "-b:a", "64k"]);
        }
    }

    /// <summary>Opus in WebM, what Chromium's MediaRecorder records (a tone), cut into chunks by the recording tests.</summary>
    public static byte[] Webm(int seconds)
    {
        lock (Cache)
        {
            var key = $"webm-{seconds}";
            if (Cache.TryGetValue(key, out var cached)) return cached;
            return Cache[key] = Ffmpeg("webm", ["-v", "error", "-y", "-f", "lavfi", "-i", $"sine=f=300:d={seconds}", "-c:a", "libopus", "-b:a", "32k", "-f", "webm"]);
        }
    }

    /// <summary>
    /// The first bytes of a CMYK JPEG (SOI, an Adobe APP14 segment, then a baseline frame header with four components).
    /// ffmpeg cannot write CMYK JPEGs; the artwork check reads only the header, which this is byte for byte.
    /// </summary>
    public static byte[] CmykJpegHeader(int side)
    {
        var bytes = new List<byte> { 0xFF, 0xD8 };
        bytes.AddRange([0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);
        bytes.AddRange([0xFF, 0xC0, 0x00, 0x14, 0x08, (byte)(side >> 8), (byte)side, (byte)(side >> 8), (byte)side, 0x04,
            1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
        bytes.AddRange(new byte[256]);
        return [.. bytes];
    }

    private static byte[] Ffmpeg(string ext, List<string> args)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kiln-podcast-{Guid.NewGuid():N}.{ext}");
        try
        {
            var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(path);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            p.ExitCode.ShouldBe(0, err);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static object ShowBody(string title, Guid? artwork = null, string? slug = null, bool isPrivate = false) => new
    {
        title, slug, description = "Firing clay, week by week.", author = "Ada Potter", ownerName = "Ada Potter", ownerEmail = "ada@example.test",
        language = "en", category = "Arts", subcategory = "Visual Arts", @explicit = false, type = "episodic", link = "https://example.test/kilns",
        copyright = "© 2026 Ada Potter", locked = true, fundingUrl = "https://example.test/support", fundingText = "Support the kiln",
        persons = new[] { new { name = "Ada Potter", role = "host", href = (string?)"https://example.test/ada" }, new { name = "Ben Glaze", role = "guest", href = (string?)null } },
        isPrivate, artworkUploadId = artwork,
    };

    public static async Task<JsonElement> CreateShow(this HttpClient c, string title, Guid? artwork = null, string? slug = null, bool isPrivate = false) =>
        await (await c.PostAsJsonAsync("/api/shows", ShowBody(title, artwork, slug, isPrivate))).Json(HttpStatusCode.Created);

    /// <summary>Polls an episode until its status is one of <paramref name="statuses"/>.</summary>
    public static async Task<JsonElement> WaitForEpisode(this HttpClient c, Guid show, Guid episode, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement e = default;
        while (DateTime.UtcNow < deadline)
        {
            e = await (await c.GetAsync($"/api/shows/{show}/episodes/{episode}")).Json(HttpStatusCode.OK);
            if (statuses.Contains(e.GetProperty("status").GetString())) return e;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Episode {episode} did not reach {string.Join('/', statuses)}; last: {e}");
    }

    /// <summary>Runs podcast-partytime (the Podcast Index feed parser, npm) on the feed and returns what it read.</summary>
    public static async Task<JsonElement> ParseWithPartytime(string xml)
    {
        var script = Path.Combine(Kiln.Core.Tests.Support.S3Server.RepoRoot(), "tests", "Kiln.IntegrationTests", "Podcasts", "parse-feed.js");
        var psi = new ProcessStartInfo("node", [script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteAsync(xml);
        p.StandardInput.Close();
        var output = await p.StandardOutput.ReadToEndAsync();
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        p.ExitCode.ShouldBe(0, err + output);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>PUTs recording chunk <paramref name="n"/> as the recording page does, the browser's timer saying 10 s.</summary>
    public static Task<HttpResponseMessage> PutChunk(this HttpClient c, Guid recording, int n, byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        return c.PutAsync($"/api/recordings/{recording}/chunks/{n}?duration=10", content);
    }

    /// <summary>Cuts a file into <paramref name="count"/> pieces at arbitrary byte offsets, as MediaRecorder's timeslices do.</summary>
    public static List<byte[]> Split(byte[] file, int count)
    {
        var size = file.Length / count;
        return Enumerable.Range(0, count).Select(i => file[(i * size)..(i == count - 1 ? file.Length : (i + 1) * size)]).ToList();
    }

    /// <summary>Moves the user's workspace to <paramref name="plan"/> (as a paid subscription would).</summary>
    public static async Task SetPlan(this KilnTestHost host, TestUser user, string plan)
    {
        await using var db = host.NewDbContext();
        await db.Workspaces.Where(w => w.Id == user.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Plan, plan));
    }
}

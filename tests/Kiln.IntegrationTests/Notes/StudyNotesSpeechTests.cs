using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Notes;

/// <summary>
/// Study notes from speech, offline: a lecture spoken by festival with long pauses between its sections, heard by
/// pocketsphinx; and from video links served by a local web server (a direct file through the link import, a page with a
/// video and published captions through yt-dlp).
/// </summary>
public sealed class StudyNotesSpeechTests(PostgresServer pg)
{
    // Two sentences of each section of the lecture: about 25 seconds with the pauses.
    private static readonly string[][] Spoken = [.. Lecture.Sections.Select(s => s.Take(2).ToArray())];
    private const double SectionPause = 2.5;

    /// <summary>The spoken lecture (WAV) and when each section starts and ends in it.</summary>
    private static (string Path, List<(double Start, double End)> Sections) SpokenLecture()
    {
        var parts = Spoken.Select(s => TestSpeech.Wav(s, pauseSeconds: 0.3)).ToList();
        var path = Path.Combine(Path.GetTempPath(), "kiln-test-speech", "lecture-sections-v1.wav");
        var sections = new List<(double, double)>();
        var t = 0.0;
        foreach (var p in parts)
        {
            var d = new FileInfo(p).Length / 32000.0; // 16 kHz mono 16-bit, 44-byte header is negligible
            sections.Add((t, t + d));
            t += d + SectionPause;
        }
        if (!File.Exists(path))
        {
            var args = new List<string> { "-v", "error", "-y" };
            foreach (var p in parts) args.AddRange(["-i", p]);
            var graph = string.Concat(parts.Select((_, i) => FormattableString.Invariant($"[{i}:a]apad=pad_dur={(i < parts.Count - 1 ? SectionPause : 0)}[a{i}];")))
                + string.Concat(parts.Select((_, i) => $"[a{i}]")) + $"concat=n={parts.Count}:v=0:a=1";
            var temp = path + $".{Guid.NewGuid():N}.wav";
            args.AddRange(["-filter_complex", graph, "-ac", "1", "-ar", "16000", temp]);
            Run("ffmpeg", args);
            File.Move(temp, path, overwrite: true);
        }
        return (path, sections);
    }

    [Fact]
    public async Task A_spoken_lecture_becomes_notes_with_its_terms_timed_sections_and_a_quiz_from_the_transcript()
    {
        var (wav, sections) = SpokenLecture();
        await using var host = await KilnTestHost.StartAsync("sqlite", pg);
        var user = await host.SignUpAsync();
        var upload = await user.Client.UploadReadyAsync("photosynthesis-lecture.wav", await File.ReadAllBytesAsync(wav, TestContext.Current.CancellationToken));
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", inputs = new { media = upload }, options = new { subject = "Biology", quizSize = 4 } })).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());

        var artifacts = await (await user.Client.GetAsync($"/api/jobs/{job.Id()}/artifacts")).Json(HttpStatusCode.OK);
        var transcript = await user.Client.GetStringAsync(artifacts.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "transcript.txt").GetProperty("downloadUrl").GetString(), TestContext.Current.CancellationToken);
        var id = (await (await user.Client.GetAsync("/api/notes")).Json(HttpStatusCode.OK)).GetProperty("items")[0].Id();
        var note = await (await user.Client.GetAsync($"/api/notes/{id}")).Json(HttpStatusCode.OK);
        var content = note.GetProperty("content");
        var info = transcript + "\n" + note.GetProperty("markdown").GetString();

        var terms = content.GetProperty("keyTerms").EnumerateArray().Select(t => t.GetString()!).ToList();
        terms.ShouldContain("photosynthesis", customMessage: info);
        terms.ShouldContain(t => t.Contains("light", StringComparison.Ordinal) || t.Contains("calvin", StringComparison.Ordinal) || t.Contains("chloroplast", StringComparison.Ordinal), customMessage: info);

        // Three sections, each starting inside the right stretch of speech; every point's time lies in its section.
        var outline = content.GetProperty("outline").EnumerateArray().ToList();
        outline.Count.ShouldBe(3, info);
        for (var i = 0; i < 3; i++)
        {
            var start = outline[i].GetProperty("start").GetDouble();
            start.ShouldBeInRange(sections[i].Start - 0.5, sections[i].End, info);
            foreach (var p in outline[i].GetProperty("points").EnumerateArray())
                p.GetProperty("time").GetDouble().ShouldBeInRange(sections[i].Start - 0.5, sections[i].End + 0.5, info);
        }

        // The quiz: a question per section, every answer in what was said, every time inside its section.
        var quiz = content.GetProperty("quiz").EnumerateArray().ToList();
        quiz.Select(q => q.GetProperty("section").GetInt32()).Distinct().Count().ShouldBe(3, info);
        foreach (var q in quiz)
        {
            transcript.ShouldContain(q.GetProperty("answer").GetString()!.TrimEnd('.'), Case.Insensitive, info);
            var s = sections[q.GetProperty("section").GetInt32()];
            q.GetProperty("time").GetDouble().ShouldBeInRange(s.Start - 0.5, s.End + 0.5, info);
        }
        note.GetProperty("sourceKind").GetString().ShouldBe("media");
        note.GetProperty("durationSeconds").GetDouble().ShouldBeGreaterThan(15);
    }

    [Fact]
    public async Task A_recording_without_speech_fails_clearly_and_releases_the_hold()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg);
        var user = await host.SignUpAsync();
        var upload = await user.Client.UploadReadyAsync("silence.wav", await File.ReadAllBytesAsync(TestSpeech.Silence(4), TestContext.Current.CancellationToken));
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", inputs = new { media = upload } })).Json(HttpStatusCode.Created);
        var failed = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        failed.GetProperty("status").GetString().ShouldBe("failed");
        failed.GetProperty("errorCode").GetString().ShouldBe("no_speech");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        (await (await user.Client.GetAsync("/api/notes")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
        await using (var db = host.NewDbContext()) await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task Video_links_are_fetched_directly_or_through_the_page_with_captions_preferred()
    {
        var (wav, _) = SpokenLecture();
        var mp4 = Path.Combine(Path.GetTempPath(), "kiln-test-speech", "lecture-sections-v1.mp4");
        if (!File.Exists(mp4))
        {
            var temp = mp4 + $".{Guid.NewGuid():N}.mp4";
            Run("ffmpeg", ["-v", "error", "-y", "-i", wav, "-f", "lavfi", "-i", "color=c=navy:s=160x90:r=5", "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "48k", temp]);
            File.Move(temp, mp4, overwrite: true);
        }
        var video = await File.ReadAllBytesAsync(mp4, TestContext.Current.CancellationToken);
        var vtt = Encoding.UTF8.GetBytes(Lecture.Vtt());
        await using var site = await SourceServer.StartAsync(_ => new()
        {
            ["/lecture.mp4"] = ctx => { ctx.Response.ContentType = "video/mp4"; return ctx.Response.Body.WriteAsync(video).AsTask(); },
            ["/lecture.en.vtt"] = ctx => { ctx.Response.ContentType = "text/vtt"; return ctx.Response.Body.WriteAsync(vtt).AsTask(); },
            ["/watch"] = ctx =>
            {
                ctx.Response.ContentType = "text/html; charset=utf-8";
                return ctx.Response.WriteAsync("""
                    <!DOCTYPE html><html><head><title>Photosynthesis in ten minutes</title></head><body>
                    <video controls src="/lecture.mp4"><track kind="captions" srclang="en" label="English" src="/lecture.en.vtt"></video>
                    </body></html>
                    """);
            },
        });

        // Private addresses are refused unless the operator allows them (only this test's configuration does).
        await using (var guarded = await KilnTestHost.StartAsync("sqlite", pg))
        {
            var user = await guarded.SignUpAsync();
            var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = site.Url + "/watch" } })).Json(HttpStatusCode.Created);
            var failed = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
            failed.GetProperty("errorCode").GetString().ShouldBe("url_forbidden_address");
            (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        }

        await using var host = await KilnTestHost.StartAsync("sqlite", pg, overrides: new Dictionary<string, string?> { ["Kiln:Uploads:AllowPrivateUrls"] = "true" });
        var me = await host.SignUpAsync();

        // A page: yt-dlp reads its metadata and its published captions; no speech recognition, no video download.
        var pageJob = await (await me.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = site.Url + "/watch", subject = "Biology" } })).Json(HttpStatusCode.Created);
        (await me.Client.WaitForJob(pageJob.Id(), "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded");
        site.Hits("/lecture.en.vtt").ShouldBeGreaterThan(0);
        site.Hits("/lecture.mp4").ShouldBe(0);
        var fromPage = await NewestNote(me.Client);
        fromPage.GetProperty("sourceKind").GetString().ShouldBe("link");
        fromPage.GetProperty("sourceUrl").GetString().ShouldBe(site.Url + "/watch");
        var source = fromPage.GetProperty("content").GetProperty("source");
        source.GetProperty("title").GetString()!.ShouldStartWith("Photosynthesis in ten minutes");
        source.GetProperty("sourceId").GetString().ShouldNotBeNullOrEmpty();
        fromPage.GetProperty("content").GetProperty("outline").GetArrayLength().ShouldBe(3);

        // A direct file: the guarded link import makes it an upload of the workspace, then it is transcribed.
        var fileJob = await (await me.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = site.Url + "/lecture.mp4" } })).Json(HttpStatusCode.Created);
        var done = await me.Client.WaitForJob(fileJob.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
        var fromFile = await NewestNote(me.Client);
        fromFile.GetProperty("sourceUploadId").ValueKind.ShouldBe(JsonValueKind.String);
        fromFile.GetProperty("content").GetProperty("keyTerms").EnumerateArray().Select(t => t.GetString()).ShouldContain("photosynthesis");
        (await me.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(23, "each link is charged the minimum for up to 20 minutes");
    }

    private static async Task<JsonElement> NewestNote(HttpClient client)
    {
        var id = (await (await client.GetAsync("/api/notes?pageSize=1")).Json(HttpStatusCode.OK)).GetProperty("items")[0].Id();
        return await (await client.GetAsync($"/api/notes/{id}")).Json(HttpStatusCode.OK);
    }

    private static void Run(string tool, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} failed: {err.Result}");
    }
}

using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Notes;

/// <summary>The study-notes product through the API: a lecture in, a note out, then read, search, edit, link and export it.</summary>
public sealed class StudyNotesApiTests(PostgresServer pg)
{
    internal const string Respiration = """
        Cellular respiration is the process by which cells release energy from sugar.
        It takes place in the mitochondria of the cell. The mitochondria use oxygen to break down sugar.
        Cellular respiration releases carbon dioxide and water. Carbon dioxide from respiration is what plants fix into sugar.
        Oxygen from photosynthesis is used by the mitochondria. The energy is stored as ATP. ATP carries energy to every part of the cell.
        """;

    internal const string PlantCells = """
        A plant cell has a cell wall made of cellulose. The cell wall gives the plant cell its shape.
        Inside the plant cell, the chloroplast captures light for photosynthesis. Chlorophyll in the chloroplast makes leaves green.
        Plant cells also have mitochondria that release energy. The mitochondria and the chloroplast both make ATP.
        Photosynthesis in the chloroplast gives the plant its energy.
        """;

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_subtitle_file_becomes_a_note_that_can_be_searched_edited_restored_and_is_hidden_from_other_workspaces(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var user = await host.SignUpAsync();
        var upload = await user.Client.UploadReadyAsync("photosynthesis.srt", Encoding.UTF8.GetBytes(Lecture.Srt()));
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", inputs = new { subtitles = upload }, options = new { subject = "Biology" } })).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(24, "a one-minute lecture costs the minimum, one credit");

        var list = await (await user.Client.GetAsync("/api/notes")).Json(HttpStatusCode.OK);
        list.GetProperty("total").GetInt32().ShouldBe(1);
        var id = list.GetProperty("items")[0].Id();
        var note = await (await user.Client.GetAsync($"/api/notes/{id}")).Json(HttpStatusCode.OK);
        note.GetProperty("title").GetString().ShouldBe("Photosynthesis");
        note.GetProperty("subject").GetString().ShouldBe("Biology");
        note.GetProperty("sourceKind").GetString().ShouldBe("subtitles");
        note.GetProperty("sourceUploadId").GetGuid().ShouldBe(upload);
        var concepts = note.GetProperty("content").GetProperty("concepts").EnumerateArray().Select(c => c.GetProperty("term").GetString()!.ToLowerInvariant()).ToList();
        concepts.ShouldContain("calvin cycle");
        concepts.ShouldContain("chlorophyll");
        var markdown = note.GetProperty("markdown").GetString()!;
        markdown.ShouldContain("## Outline");
        markdown.ShouldContain("](#t=");

        // Search: a word of the body (stemmed: "reaction" finds "reactions"), the subject filter, and a word that is nowhere.
        (await (await user.Client.GetAsync("/api/notes?q=thylakoid")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(1);
        (await (await user.Client.GetAsync("/api/notes?q=rubisco%20enzyme")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(1);
        (await (await user.Client.GetAsync("/api/notes?q=zebra")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
        (await (await user.Client.GetAsync("/api/notes?subject=History")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
        (await (await user.Client.GetAsync("/api/notes?subject=Biology&q=\"chloro")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(1);

        // Edit twice, then restore the first text: every text is kept.
        var edited = await (await user.Client.PutAsJsonAsync($"/api/notes/{id}", new { markdown = markdown + "\nMy own remark about zebras.\n", expectedVersion = 1 })).Json(HttpStatusCode.OK);
        edited.GetProperty("version").GetInt32().ShouldBe(2);
        (await (await user.Client.GetAsync("/api/notes?q=zebras")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(1);
        await (await user.Client.PutAsJsonAsync($"/api/notes/{id}", new { markdown = "stale", expectedVersion = 1 })).Problem(HttpStatusCode.Conflict, "note_changed");
        await (await user.Client.PutAsJsonAsync($"/api/notes/{id}", new { title = "Photosynthesis, edited" })).Json(HttpStatusCode.OK);
        var versions = await (await user.Client.GetAsync($"/api/notes/{id}/versions")).Json(HttpStatusCode.OK);
        versions.EnumerateArray().Select(v => v.GetProperty("number").GetInt32()).ShouldBe([3, 2, 1]);
        (await (await user.Client.GetAsync($"/api/notes/{id}/versions/1")).Json(HttpStatusCode.OK)).GetProperty("markdown").GetString().ShouldBe(markdown);
        var restored = await (await user.Client.PostAsync($"/api/notes/{id}/versions/1/restore", null)).Json(HttpStatusCode.OK);
        restored.GetProperty("markdown").GetString().ShouldBe(markdown);
        restored.GetProperty("title").GetString().ShouldBe("Photosynthesis");
        restored.GetProperty("version").GetInt32().ShouldBe(4);
        (await (await user.Client.GetAsync("/api/notes?q=zebras")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);

        // Another workspace sees none of it: 404 on every endpoint, and nothing in its list or search.
        var other = await host.SignUpAsync();
        foreach (var url in new[] { $"/api/notes/{id}", $"/api/notes/{id}/versions", $"/api/notes/{id}/versions/1", $"/api/notes/{id}/backlinks", $"/api/notes/{id}/export?format=md", $"/api/notes/{id}/export?format=pdf" })
            await (await other.Client.GetAsync(url)).Problem(HttpStatusCode.NotFound, url.Contains("/versions/1") ? "note_not_found" : "note_not_found");
        await (await other.Client.PutAsJsonAsync($"/api/notes/{id}", new { title = "mine" })).Problem(HttpStatusCode.NotFound, "note_not_found");
        await (await other.Client.PostAsync($"/api/notes/{id}/versions/1/restore", null)).Problem(HttpStatusCode.NotFound, "note_not_found");
        await (await other.Client.DeleteAsync($"/api/notes/{id}")).Problem(HttpStatusCode.NotFound, "note_not_found");
        (await (await other.Client.GetAsync("/api/notes?q=thylakoid")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);

        (await user.Client.DeleteAsync($"/api/notes/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await user.Client.GetAsync($"/api/notes/{id}")).Problem(HttpStatusCode.NotFound, "note_not_found");
        (await (await user.Client.GetAsync("/api/notes?q=thylakoid")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
        await using (var db = host.NewDbContext()) await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task The_uploads_shorthand_puts_each_file_in_the_one_slot_that_takes_its_kind()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var user = await host.SignUpAsync();
        var srt = await user.Client.UploadReadyAsync("lecture.srt", Encoding.UTF8.GetBytes(Lecture.Srt()));
        var text = await user.Client.UploadReadyAsync("reading.txt", Encoding.UTF8.GetBytes(Respiration));
        var estimate = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "study-notes", uploads = new[] { srt } })).Json(HttpStatusCode.OK);
        estimate.GetProperty("estimatedCost").GetInt64().ShouldBe(1);
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", uploads = new[] { text } })).Json(HttpStatusCode.Created);
        await using var db = host.NewDbContext();
        var inputs = (await db.Jobs.FindAsync([job.Id()], TestContext.Current.CancellationToken))!.InputsJson;
        inputs.ShouldContain("\"document\"");
        // Two files are still two lectures: the pipeline's own rule answers.
        await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "study-notes", uploads = new[] { srt, text } })).Problem(HttpStatusCode.BadRequest, "too_many_inputs");
    }

    [Fact]
    public async Task Related_notes_link_each_other_and_the_obsidian_vault_resolves_every_link()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg);
        var user = await host.SignUpAsync();
        var ids = new List<Guid>();
        foreach (var (name, text) in new[] { ("photosynthesis.txt", Lecture.Text()), ("cellular-respiration.txt", Respiration), ("plant-cells.txt", PlantCells) })
        {
            var upload = await user.Client.UploadReadyAsync(name, Encoding.UTF8.GetBytes(text));
            var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", inputs = new { document = upload }, options = new { subject = "Biology" } })).Json(HttpStatusCode.Created);
            (await user.Client.WaitForJob(job.Id(), "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded");
            ids.Add((await (await user.Client.GetAsync("/api/notes?pageSize=1")).Json(HttpStatusCode.OK)).GetProperty("items")[0].Id());
        }
        var notes = new List<JsonElement>();
        foreach (var id in ids) notes.Add(await (await user.Client.GetAsync($"/api/notes/{id}")).Json(HttpStatusCode.OK));
        string Terms(JsonElement n) => string.Join(", ", n.GetProperty("content").GetProperty("keyTerms").EnumerateArray().Select(t => t.GetString()));
        var info = string.Join("\n", notes.Select(n => n.GetProperty("title").GetString() + ": " + Terms(n)));

        // The later notes link the earlier ones they share concepts with; the earlier ones show them as backlinks.
        notes[1].GetProperty("markdown").GetString()!.ShouldContain("[[Photosynthesis]]", customMessage: info);
        notes[2].GetProperty("markdown").GetString()!.ShouldContain("[[Photosynthesis]]", customMessage: info);
        notes[2].GetProperty("markdown").GetString()!.ShouldContain("[[Cellular respiration]]", customMessage: info);
        var back = await (await user.Client.GetAsync($"/api/notes/{ids[0]}/backlinks")).Json(HttpStatusCode.OK);
        back.EnumerateArray().Select(b => b.GetProperty("title").GetString()).ShouldBe(["Cellular respiration", "Plant cells"], ignoreOrder: true);
        back.EnumerateArray().ShouldAllBe(b => b.GetProperty("sharedTerms").GetArrayLength() >= 2);
        (await (await user.Client.GetAsync($"/api/notes/{ids[1]}/backlinks")).Json(HttpStatusCode.OK)).EnumerateArray()
            .Select(b => b.GetProperty("title").GetString()).ShouldBe(["Plant cells"]);

        // The quiz's distractors are real terms of the course.
        var courseTerms = notes.SelectMany(n => n.GetProperty("content").GetProperty("keyTerms").EnumerateArray().Select(t => t.GetString()!)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var q in notes[2].GetProperty("content").GetProperty("quiz").EnumerateArray().Where(q => q.GetProperty("kind").GetString() == "multiple-choice"))
            q.GetProperty("choices").EnumerateArray().ShouldAllBe(c => courseTerms.Contains(c.GetString()!));

        // A link added by hand becomes a backlink too, and one removed goes away.
        var md = notes[0].GetProperty("markdown").GetString()! + "\nSee also [[Plant cells|the plant cell note]].\n";
        await (await user.Client.PutAsJsonAsync($"/api/notes/{ids[0]}", new { markdown = md })).Json(HttpStatusCode.OK);
        (await (await user.Client.GetAsync($"/api/notes/{ids[2]}/backlinks")).Json(HttpStatusCode.OK)).EnumerateArray()
            .Select(b => b.GetProperty("title").GetString()).ShouldBe(["Photosynthesis"]);

        var zip = await user.Client.GetAsync("/api/notes/export?format=obsidian");
        zip.StatusCode.ShouldBe(HttpStatusCode.OK);
        zip.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        using var archive = new ZipArchive(new MemoryStream(await zip.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)));
        var files = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        files.ShouldContain("Photosynthesis.md");
        files.ShouldContain("attachments/Photosynthesis.json");
        var links = 0;
        foreach (var entry in archive.Entries.Where(e => e.FullName.EndsWith(".md", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(entry.Open());
            var text = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
            text.ShouldStartWith("---\ntitle: ");
            foreach (Match m in Regex.Matches(text, @"\[\[([^\]|#]+)(?:\|[^\]]*)?\]\]"))
            {
                files.ShouldContain(m.Groups[1].Value + ".md", $"[[{m.Groups[1].Value}]] in {entry.FullName}");
                links++;
            }
            foreach (Match m in Regex.Matches(text, @"\]\((attachments/[^)]+)\)"))
                files.ShouldContain(Uri.UnescapeDataString(m.Groups[1].Value));
        }
        links.ShouldBeGreaterThanOrEqualTo(4);
    }

    [Fact]
    public async Task A_pdf_becomes_notes_with_pages_and_exports_as_html_and_pdf()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg);
        var user = await host.SignUpAsync();
        var pages = new[]
        {
            "Contents\nPhotosynthesis ..... 2\nThe light reactions ..... 3\nThe Calvin cycle ..... 4",
            "Photosynthesis\n" + string.Join(' ', Lecture.Sections[0]),
            "The light reactions\n" + string.Join(' ', Lecture.Sections[1]),
            "The Calvin cycle\n" + string.Join(' ', Lecture.Sections[2]),
        };
        var upload = await user.Client.UploadReadyAsync("biology-slides.pdf", TestPdf.Create(pages, title: "Biology slides"));
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", inputs = new { document = upload } })).Json(HttpStatusCode.Created);
        (await user.Client.WaitForJob(job.Id(), "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded");
        var id = (await (await user.Client.GetAsync("/api/notes")).Json(HttpStatusCode.OK)).GetProperty("items")[0].Id();
        var note = await (await user.Client.GetAsync($"/api/notes/{id}")).Json(HttpStatusCode.OK);
        var content = note.GetProperty("content");
        content.GetProperty("outline").EnumerateArray().Select(s => s.GetProperty("title").GetString()).ShouldBe(["Photosynthesis", "The light reactions", "The Calvin cycle"]);
        content.GetProperty("outline").EnumerateArray().Select(s => s.GetProperty("page").GetInt32()).ShouldBe([2, 3, 4]);
        note.GetProperty("markdown").GetString()!.ShouldNotContain(".....", customMessage: "the table of contents is not notes");
        content.GetProperty("quiz").EnumerateArray().ShouldAllBe(q => q.GetProperty("page").GetInt32() >= 2);

        var html = await user.Client.GetAsync($"/api/notes/{id}/export?format=html");
        html.StatusCode.ShouldBe(HttpStatusCode.OK);
        var page = await html.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        page.ShouldContain("<h2 id=\"outline\">Outline</h2>");
        page.ShouldContain("<table>");
        page.ShouldContain($"/notes/{id}");
        var pdf = await user.Client.GetAsync($"/api/notes/{id}/export?format=pdf");
        pdf.StatusCode.ShouldBe(HttpStatusCode.OK);
        var bytes = await pdf.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Encoding.ASCII.GetString(bytes, 0, 5).ShouldBe("%PDF-");
        pdf.Content.Headers.ContentDisposition!.ToString().ShouldContain("Biology slides.pdf");
        await (await user.Client.GetAsync($"/api/notes/{id}/export?format=docx")).Problem(HttpStatusCode.BadRequest, "invalid_format");
    }

    [Fact]
    public async Task Bad_inputs_fail_clearly_and_release_the_hold()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg);
        var user = await host.SignUpAsync();
        // Not SRT: no cue timings.
        await (await user.Client.UploadAsync("lecture.srt", Encoding.UTF8.GetBytes("1\nthis is not a subtitle file\n"))).Problem(HttpStatusCode.UnprocessableEntity, "type_mismatch");
        await (await user.Client.UploadAsync("lecture.vtt", Encoding.UTF8.GetBytes("1\n00:00:01.000 --> 00:00:02.000\nno header\n"))).Problem(HttpStatusCode.UnprocessableEntity, "type_mismatch");

        // No input at all, and two at once.
        await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes" })).Problem(HttpStatusCode.BadRequest, "input_required");
        var srt = await user.Client.UploadReadyAsync("a.srt", Encoding.UTF8.GetBytes(Lecture.Srt()));
        await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", inputs = new { subtitles = srt }, options = new { link = "https://example.com/v.mp4" } }))
            .Problem(HttpStatusCode.BadRequest, "too_many_inputs");

        // A link nobody answers: the job fails with a sentence, and its hold is released.
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = "http://unreachable.invalid/lecture" } })).Json(HttpStatusCode.Created);
        var failed = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        failed.GetProperty("status").GetString().ShouldBe("failed");
        failed.GetProperty("errorCode").GetString().ShouldBe("url_fetch_failed");
        failed.GetProperty("errorMessage").GetString()!.ShouldContain("could not be found");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        await using (var db = host.NewDbContext()) await DbAssertions.LedgerBalances(db);
    }
}

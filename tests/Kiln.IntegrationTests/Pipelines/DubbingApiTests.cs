using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Credits;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Media.Translation;
using Kiln.Core.Pipelines;
using Kiln.Core.Tests.Pipelines.Dubbing;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.IntegrationTests.Pipelines;

/// <summary>
/// Dubbing through the API on both databases: languages as subtasks on the job, partial success charged only for the
/// languages that were dubbed (capture and release once each, in the job's completing transaction), 422 for a language
/// nobody installed, and no speech failing with the hold released.
/// </summary>
public sealed class DubbingApiTests(PostgresServer pg)
{
    private static Action<IServiceCollection> Engines(DubbingMedia media, ITranslator? translator = null, ISpeechToTextEngines? speech = null) => s =>
    {
        s.AddSingleton(speech ?? new ScriptedSpeechToText(media.Segments));
        if (translator is not null) s.AddSingleton(translator);
    };

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task One_language_failing_is_released_and_the_others_captured_exactly_once(string provider)
    {
        var media = await DubbingMedia.GetAsync();
        var translator = new FailingTranslator(new ApertiumTranslator(new ProcessRunner()), "ca", () => new PipelineException("translation_failed", "The translator refused Catalan."));
        await using var host = await KilnTestHost.StartAsync(provider, pg, services: Engines(media, translator));
        var user = await host.SignUpAsync();
        var voice = await user.Client.UploadReadyAsync("voice.wav", await File.ReadAllBytesAsync(media.Voice));

        var estimate = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "dubbing", inputs = new { voice }, options = new { targetLanguages = new[] { "es", "ca" } } }))
            .Json(HttpStatusCode.OK);
        estimate.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("label").GetString()).ShouldBe(["Spanish (es), seconds", "Catalan (ca), seconds"]);
        var perLanguage = (long)Math.Ceiling(Math.Ceiling(media.Duration) * 0.1);
        estimate.GetProperty("estimatedCost").GetInt64().ShouldBe(2 * perLanguage);

        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "dubbing", inputs = new { voice }, options = new { targetLanguages = new[] { "es", "ca" }, captionFormats = new[] { "srt" } } }))
            .Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());
        done.GetProperty("costActual").GetInt64().ShouldBe(perLanguage);
        done.GetProperty("totalLanguages").GetInt32().ShouldBe(2);
        done.GetProperty("completedLanguages").GetInt32().ShouldBe(1);
        var subtasks = done.GetProperty("subtasks").EnumerateArray().ToList();
        subtasks.Select(s => (s.GetProperty("languageCode").GetString(), s.GetProperty("languageName").GetString(), s.GetProperty("stage").GetString()))
            .ShouldBe([("es", "Spanish", "done"), ("ca", "Catalan", "failed")]);
        subtasks[1].GetProperty("error").GetString().ShouldBe("The translator refused Catalan.");
        subtasks[0].GetProperty("cost").GetInt64().ShouldBe(perLanguage);
        subtasks[0].GetProperty("artifacts").EnumerateArray().Select(a => a.GetString()).ShouldBe(["dub-es.mp3", "captions-es.srt"]);

        var names = (await (await user.Client.GetAsync($"/api/jobs/{job.Id()}/artifacts")).Json(HttpStatusCode.OK)).EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList();
        names.ShouldContain("dub-es.mp3");
        names.ShouldNotContain("dub-ca.mp3");

        await using var db = host.NewDbContext();
        var entries = await db.LedgerEntries.Where(e => e.JobId == job.Id()).OrderBy(e => e.Id).ToListAsync();
        entries.Select(e => (e.Kind, e.PostedDelta, e.HeldDelta)).ShouldBe([
            (LedgerEntryKind.Hold, 0L, 2 * perLanguage),
            (LedgerEntryKind.Capture, -perLanguage, -perLanguage),
            (LedgerEntryKind.Release, 0L, -perLanguage),
        ]);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25 - perLanguage);
        (await db.JobSubtasks.CountAsync(s => s.JobId == job.Id())).ShouldBe(2);
        await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task A_language_no_installed_engine_offers_is_refused_with_422_naming_it()
    {
        var media = await DubbingMedia.GetAsync();
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, services: Engines(media));
        var user = await host.SignUpAsync();
        var voice = await user.Client.UploadReadyAsync("voice.wav", await File.ReadAllBytesAsync(media.Voice));
        var problem = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "dubbing", inputs = new { voice }, options = new { targetLanguages = new[] { "es", "ja" } } }))
            .Problem(HttpStatusCode.UnprocessableEntity, "invalid_options");
        problem.GetProperty("title").GetString()!.ShouldContain("'ja' (Japanese) is not offered");
        problem.GetProperty("field").GetString().ShouldBe("targetLanguages");
        (await user.Client.Balance()).GetProperty("held").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task A_video_without_audio_and_a_three_hour_file_are_refused_at_creation_with_nothing_held()
    {
        var media = await DubbingMedia.GetAsync();
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, services: Engines(media));
        var user = await host.SignUpAsync();
        var silent = await user.Client.UploadReadyAsync("silent.mp4", await File.ReadAllBytesAsync(media.SilentVideo));
        var problem = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "dubbing", inputs = new { voice = silent }, options = new { targetLanguages = new[] { "es" } } }))
            .Problem(HttpStatusCode.UnprocessableEntity, "no_audio");
        problem.GetProperty("title").GetString().ShouldBe("The video has no audio track to dub.");

        // Three hours of silence in seconds: ten seconds of low-bitrate Opus, copied 1,080 times without re-encoding (about 4 MB).
        var dir = Directory.CreateTempSubdirectory("kiln-3h-");
        try
        {
            var ten = Path.Combine(dir.FullName, "10s.ogg");
            var long3h = Path.Combine(dir.FullName, "3h.ogg");
            var runner = new ProcessRunner();
            (await runner.RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "10", "-c:a", "libopus", "-b:a", "6k", ten]), default)).ExitCode.ShouldBe(0);
            (await runner.RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-v", "error", "-y", "-stream_loop", "1079", "-i", ten, "-c", "copy", long3h]), default)).ExitCode.ShouldBe(0);
            var voice = await user.Client.UploadReadyAsync("three-hours.ogg", await File.ReadAllBytesAsync(long3h));
            var tooLong = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", new { pipeline = "dubbing", inputs = new { voice }, options = new { targetLanguages = new[] { "es" } } }))
                .Problem(HttpStatusCode.UnprocessableEntity, "input_too_long");
            tooLong.GetProperty("title").GetString().ShouldBe("The voice file is 180 minutes long; dubbing takes files up to 120 minutes.");
            await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "dubbing", inputs = new { voice }, options = new { targetLanguages = new[] { "es" } } }))
                .Problem(HttpStatusCode.UnprocessableEntity, "input_too_long");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
        (await user.Client.Balance()).GetProperty("held").GetInt64().ShouldBe(0);
        await using var db = host.NewDbContext();
        (await db.Jobs.CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task A_premium_voice_is_refused_naming_the_plan_until_the_plan_includes_premium_voices()
    {
        var media = await DubbingMedia.GetAsync();
        // The engine is configured but never called: only planning is exercised here (the run is covered in Kiln.Core.Tests).
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, services: Engines(media),
            overrides: new Dictionary<string, string?> { ["Kiln:Media:OpenAi:BaseUrl"] = "http://127.0.0.1:9/v1" });
        var user = await host.SignUpAsync();
        var voice = await user.Client.UploadReadyAsync("voice.wav", await File.ReadAllBytesAsync(media.Voice));
        var request = new { pipeline = "dubbing", inputs = new { voice }, options = new { targetLanguages = new[] { "es" }, voice = "openai:nova" } };
        var refused = await (await user.Client.PostAsJsonAsync("/api/jobs", request)).Problem(HttpStatusCode.UnprocessableEntity, "plan_feature_required");
        refused.GetProperty("title").GetString().ShouldBe("The premium voice 'openai:nova' (Spanish) is not included in your plan (Free); it comes with Pro.");
        refused.GetProperty("feature").GetString().ShouldBe("premium-voices");
        (await user.Client.Balance()).GetProperty("held").GetInt64().ShouldBe(0);

        // The form's voice list shows the premium voices locked, naming the plan that has them and where to upgrade.
        var free = await (await user.Client.GetAsync("/api/pipelines/dubbing/voices?language=es")).Json(HttpStatusCode.OK);
        free.GetProperty("languageName").GetString().ShouldBe("Spanish");
        free.GetProperty("default").GetString().ShouldBe("male");
        free.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        var listed = free.GetProperty("voices").EnumerateArray().ToList();
        var nova = listed.Single(v => v.GetProperty("id").GetString() == "openai:nova");
        nova.GetProperty("available").GetBoolean().ShouldBeFalse();
        nova.GetProperty("requiredPlans").EnumerateArray().Select(p => p.GetString()).ShouldBe(["Pro"]);
        listed.Single(v => v.GetProperty("id").GetString() == "es+f2").GetProperty("available").GetBoolean().ShouldBeTrue();
        await (await user.Client.GetAsync("/api/pipelines/dubbing/voices?language=Spanish")).Problem(HttpStatusCode.BadRequest, "invalid_language");

        await using (var db = host.NewDbContext())
            await db.Workspaces.Where(w => w.Id == user.WorkspaceId).ExecuteUpdateAsync(s => s.SetProperty(w => w.Plan, "pro"));
        var pro = await (await user.Client.GetAsync("/api/pipelines/dubbing/voices?language=es")).Json(HttpStatusCode.OK);
        pro.GetProperty("voices").EnumerateArray().ShouldAllBe(v => v.GetProperty("available").GetBoolean());
        pro.GetProperty("upgradeUrl").ValueKind.ShouldBe(JsonValueKind.Null);
        var estimate = await (await user.Client.PostAsJsonAsync("/api/jobs/estimate", request)).Json(HttpStatusCode.OK);
        estimate.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("label").GetString())
            .ShouldBe(["Spanish (es), seconds", "Premium voice openai:nova for Spanish (es), minutes"]);
    }

    [Fact]
    public async Task The_form_is_offered_the_target_languages_installed_here_for_the_source_language()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var user = await host.SignUpAsync();
        // The options schema tells a form where the choices come from; the list is Apertium's installed pairs that espeak-ng speaks.
        var pipelines = await (await user.Client.GetAsync("/api/pipelines")).Json(HttpStatusCode.OK);
        var schema = pipelines.EnumerateArray().Single(p => p.GetProperty("id").GetString() == "dubbing").GetProperty("optionsSchema");
        var choices = schema.GetProperty("properties").GetProperty("targetLanguages").GetProperty("x-choices");
        choices.GetProperty("url").GetString().ShouldBe("/api/pipelines/dubbing/languages");
        choices.GetProperty("dependsOn").GetString().ShouldBe("sourceLanguage");

        var en = await (await user.Client.GetAsync("/api/pipelines/dubbing/languages?source=en")).Json(HttpStatusCode.OK);
        en.GetProperty("sourceName").GetString().ShouldBe("English");
        var offered = en.GetProperty("choices").EnumerateArray().ToDictionary(c => c.GetProperty("value").GetString()!, c => c.GetProperty("label").GetString());
        offered["es"].ShouldBe("Spanish (es)");
        offered["ca"].ShouldBe("Catalan (ca)");
        offered.ShouldNotContainKey("en");
        var fr = await (await user.Client.GetAsync("/api/pipelines/dubbing/languages?source=fr")).Json(HttpStatusCode.OK);
        fr.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("value").GetString()).ShouldContain("es");
        var auto = await (await user.Client.GetAsync("/api/pipelines/dubbing/languages?source=auto")).Json(HttpStatusCode.OK);
        auto.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("value").GetString()).ShouldContain("ca");
        await (await user.Client.GetAsync("/api/pipelines/dubbing/languages?source=English")).Problem(HttpStatusCode.BadRequest, "invalid_language");
    }

    [Fact]
    public async Task No_speech_fails_the_job_with_no_speech_and_releases_the_hold()
    {
        var media = await DubbingMedia.GetAsync();
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, services: Engines(media, speech: new ScriptedSpeechToText([])));
        var user = await host.SignUpAsync();
        var voice = await user.Client.UploadReadyAsync("noise.wav", await File.ReadAllBytesAsync(media.Noise));
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "dubbing", inputs = new { voice }, options = new { targetLanguages = new[] { "es" } } }))
            .Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("failed");
        done.GetProperty("errorCode").GetString().ShouldBe("no_speech");
        done.GetProperty("subtasks")[0].GetProperty("stage").GetString().ShouldBe("failed");
        await using var db = host.NewDbContext();
        (await db.LedgerEntries.Where(e => e.JobId == job.Id()).Select(e => e.Kind).ToListAsync()).ShouldBe([LedgerEntryKind.Hold, LedgerEntryKind.Release]);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        await DbAssertions.LedgerBalances(db);
    }

    [Fact]
    public async Task A_pipelines_own_retention_deletes_its_outputs_and_the_owner_can_delete_them_now()
    {
        // The diagnostic sleep pipeline stands in for dubbing (48 h by default): the rule is per pipeline, set here to 1 h.
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, overrides: new Dictionary<string, string?> { ["Kiln:Pipelines:sleep:RetentionHours"] = "1" });
        var user = await host.SignUpAsync();
        var expired = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        var fresh = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        var done = await user.Client.WaitForJob(expired, "succeeded");
        await user.Client.WaitForJob(fresh, "succeeded");
        done.GetProperty("outputsExpireAt").GetDateTime().ShouldBe(done.GetProperty("finishedAt").GetDateTime().AddHours(1), TimeSpan.FromSeconds(1));
        await using (var db = host.NewDbContext())
            await db.Artifacts.Where(a => a.JobId == expired).ExecuteUpdateAsync(s => s.SetProperty(a => a.CreatedAt, DateTime.UtcNow.AddHours(-2)));

        await using (var scope = host.Services.CreateAsyncScope())
            (await scope.ServiceProvider.GetRequiredService<Kiln.Core.Privacy.PurgeCommand>().RunAsync(100, default)).Count(i => i.Kind == Kiln.Core.Privacy.PurgeKind.Artifact).ShouldBe(1);
        (await (await user.Client.GetAsync($"/api/jobs/{expired}/artifacts")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(0);

        var key = await host.NewDbContext().Artifacts.Where(a => a.JobId == fresh).Select(a => a.BlobKey).SingleAsync();
        (await user.Client.DeleteAsync($"/api/jobs/{fresh}/artifacts")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await (await user.Client.GetAsync($"/api/jobs/{fresh}/artifacts")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(0);
        File.Exists(Path.Combine(host.BlobPath, key)).ShouldBeFalse();
        var other = await host.SignUpAsync();
        await (await other.Client.DeleteAsync($"/api/jobs/{expired}/artifacts")).Problem(HttpStatusCode.NotFound, "not_found");
    }
}

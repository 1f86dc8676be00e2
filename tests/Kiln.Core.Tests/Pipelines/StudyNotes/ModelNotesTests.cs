using System.Text.Json;
using Kiln.Core.Notes;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.StudyNotes;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Pipelines.StudyNotes;

/// <summary>
/// With <c>engine: provider/model</c> the model writes the whole note and the quiz through a JSON-schema request to an
/// OpenAI-compatible server (the fake answers with the documented chat completion object); every part is checked against
/// the transcript, and a part that fails keeps the offline engine's version with a job-log line.
/// </summary>
public sealed class ModelNotesTests
{
    private static readonly IReadOnlyList<(double Start, double End)> Times = Lecture.SectionTimes();

    private const string Chlorophyll = "Chlorophyll is the green pigment that absorbs light in the chloroplast.";

    /// <summary>A good answer: times are section starts (segment starts of the captions), quotes and answers are the lecture's words.</summary>
    private static Dictionary<string, object?> GoodAnswer() => new()
    {
        ["title"] = "How plants make sugar from light",
        ["summary"] = "Photosynthesis turns light into chemical energy in the chloroplast: the light reactions split water and make ATP, and the Calvin cycle fixes carbon dioxide into sugar.",
        ["concepts"] = new object[]
        {
            new { term = "Chlorophyll", definition = "The green pigment that absorbs light.", time = Times[0].Start, page = (int?)null },
            new { term = "Rubisco", definition = "The enzyme that captures carbon dioxide.", time = Times[2].Start + 0.3, page = (int?)null },
        },
        ["outline"] = new object[]
        {
            Section("Where photosynthesis happens", Times[0].Start),
            Section("The light reactions", Times[1].Start),
            Section("The Calvin cycle", Times[2].Start),
        },
        ["quotes"] = new object[] { new { text = Chlorophyll, time = Times[0].Start + 6, page = (int?)null } },
        ["glossary"] = new object[] { new { term = "Thylakoid", definition = "The membrane where the light reactions happen." } },
        ["openQuestions"] = new[] { "Why is chlorophyll green rather than black?" },
        ["quiz"] = new object[]
        {
            Question("multiple-choice", "Which pigment absorbs light in the chloroplast?", ["chlorophyll", "rubisco", "ATP"], "chlorophyll", 0, Times[0].Start),
            Question("short-answer", "Where do the light reactions take place?", [], "the thylakoid membrane", 1, Times[1].Start),
            Question("multiple-choice", "Which enzyme captures carbon dioxide?", ["oxygen", "rubisco", "chlorophyll"], "rubisco", 2, Times[2].Start),
        },
    };

    private static object Section(string title, double start) =>
        new { title, start, page = (int?)null, points = new[] { new { text = $"{title}: the main idea.", time = start, page = (int?)null } } };

    private static object Question(string kind, string prompt, string[] choices, string answer, int section, double time) =>
        new { kind, prompt, choices, answer, explanation = "The lecture says so.", section, time, page = (int?)null };

    private static async Task<(StudyNote Note, RecordingReporter Log, FakeOpenAiServer Server)> RunAsync(Dictionary<string, object?> answer, string? raw = null)
    {
        var server = await FakeOpenAiServer.StartAsync();
        server.Reply = _ => raw ?? JsonSerializer.Serialize(answer);
        using var services = Services.Build(new Dictionary<string, string?>
        {
            ["Kiln:Ai:DefaultProvider"] = "extractive",
            ["Kiln:Ai:Providers:local:Kind"] = "openai",
            ["Kiln:Ai:Providers:local:BaseUrl"] = server.BaseUrl,
            ["Kiln:Ai:Providers:local:Models:0"] = "notes-model",
            ["Kiln:Ai:CacheHours"] = "0",
        });
        var pipeline = services.GetRequiredService<PipelineCatalog>().Find(StudyNotesPipeline.PipelineId)!;
        using var dir = new TempDir();
        var srt = dir.File("photosynthesis.srt");
        await File.WriteAllTextAsync(srt, Lecture.Srt(), TestContext.Current.CancellationToken);
        var input = new PipelineInput("subtitles", srt, InputFacts.From("subtitles", "subtitles", "photosynthesis.srt", new FileInfo(srt).Length, "{}"));
        var log = new RecordingReporter();
        await PipelineHost.RunAsync(pipeline, PipelineTesting.Context(pipeline, services, """{"engine":"local/notes-model","quizSize":3}""", dir.File("s"),
            log, new CopyingArtifactSink(dir.File("out")), input), TestContext.Current.CancellationToken);
        var note = StudyNote.FromJson(await File.ReadAllTextAsync(dir.File("out/notes.json"), TestContext.Current.CancellationToken))!;
        return (note, log, server);
    }

    [Fact]
    public async Task A_valid_model_answer_writes_the_whole_note_and_quiz_through_a_json_schema_request()
    {
        var (note, log, server) = await RunAsync(GoodAnswer());
        await using var _ = server;

        var request = server.Requests.Single();
        request.GetProperty("model").GetString().ShouldBe("notes-model");
        var format = request.GetProperty("response_format");
        format.GetProperty("type").GetString().ShouldBe("json_schema");
        format.GetProperty("json_schema").GetProperty("name").GetString().ShouldBe("study_notes");
        format.GetProperty("json_schema").GetProperty("schema").GetProperty("required").EnumerateArray().Select(e => e.GetString())
            .ShouldBe(["title", "summary", "concepts", "outline", "quotes", "glossary", "openQuestions", "quiz"]);
        // The model sees the transcript with its segment times to choose from.
        var prompt = string.Join("\n", request.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").ToString()));
        prompt.ShouldContain("[0.5] Photosynthesis is the process");

        string.Join("\n", log.Lines).ShouldContain("The notes and the quiz were written by local/notes-model.");
        note.Engine.ShouldBe("local/notes-model");
        note.Title.ShouldBe("How plants make sugar from light");
        note.Concepts.Select(c => c.Term).ShouldBe(["Chlorophyll", "Rubisco"]);
        note.Concepts[1].Time.ShouldNotBeNull().ShouldBe(Times[2].Start, 0.01, "a time between segments is snapped to the segment it falls in");
        note.Outline.Select(o => o.Start!.Value).ShouldBe(Times.Select(t => t.Start), 0.01);
        note.Outline[0].End.ShouldNotBeNull().ShouldBe(Times[1].Start, 0.01);
        note.Quotes.Single().Text.ShouldBe(Chlorophyll);
        note.Quotes.Single().Time.ShouldNotBeNull().ShouldBeInRange(Times[0].Start, Times[0].End);
        note.Quiz.Select(q => q.Answer).ShouldBe(["chlorophyll", "the thylakoid membrane", "rubisco"]);
        note.Glossary.Single().Term.ShouldBe("Thylakoid");
        note.ToMarkdown().ShouldContain("### The Calvin cycle [0:");
    }

    [Fact]
    public async Task Invalid_parts_of_the_model_answer_fall_back_to_the_offline_engine_with_a_log_line_each()
    {
        // A section starting long after the 30-second lecture ends, and a quote nobody said.
        var bad = GoodAnswer();
        bad["outline"] = new object[] { Section("Where photosynthesis happens", Times[0].Start), Section("The light reactions", Times[1].Start), Section("The Calvin cycle", 5000) };
        bad["quotes"] = new object[] { new { text = "Plants eat sunlight for breakfast.", time = 3.0, page = (int?)null } };
        var (note, log, server) = await RunAsync(bad);
        await using (server)
        {
            var lines = string.Join("\n", log.Lines);
            lines.ShouldContain("The model's outline sections had a timestamp outside the media (section \"The Calvin cycle\" at 1:23:20); the offline engine's are used.");
            lines.ShouldContain("The model's quotes were not all in the transcript (\"Plants eat sunlight for breakfast.\" is not)");
            lines.ShouldContain("The model's quiz was not usable: questions were written for its own outline, which was not used");
            note.Engine.ShouldBe("local/notes-model+extractive");
            // Valid parts are kept; the others are the offline engine's, which stay inside the lecture and its words.
            note.Title.ShouldBe("How plants make sugar from light");
            note.Concepts.Select(c => c.Term).ShouldBe(["Chlorophyll", "Rubisco"]);
            note.Outline.Count.ShouldBe(3);
            note.Outline.ShouldAllBe(o => o.Start <= Times[2].End);
            note.Quotes.ShouldNotContain(q => q.Text.Contains("breakfast"));
            note.Quiz.ShouldNotContain(q => q.Prompt == "Which enzyme captures carbon dioxide?");
        }

        // A quiz whose answer is not in the transcript, and one that leaves a section without a question: only the quiz falls back.
        var wrongAnswer = GoodAnswer();
        wrongAnswer["quiz"] = new object[]
        {
            Question("short-answer", "What do plants make sugar from?", [], "moonlight", 0, Times[0].Start),
            Question("multiple-choice", "Which enzyme captures carbon dioxide?", ["oxygen", "rubisco"], "rubisco", 2, Times[2].Start),
        };
        var (second, log2, server2) = await RunAsync(wrongAnswer);
        await using (server2)
        {
            string.Join("\n", log2.Lines).ShouldContain("the answer to question 1 (\"moonlight\") is not in the transcript");
            second.Outline.Select(o => o.Title).ShouldBe(["Where photosynthesis happens", "The light reactions", "The Calvin cycle"]);
            second.Quiz.ShouldNotContain(q => q.Answer == "moonlight");
            second.Quiz.Select(q => q.Section).Distinct().Count().ShouldBe(3, "the offline quiz has a question per section");
        }
        var noSection = GoodAnswer();
        noSection["quiz"] = new object[] { Question("multiple-choice", "Which enzyme captures carbon dioxide?", ["oxygen", "rubisco"], "rubisco", 2, Times[2].Start) };
        var (_, log3, server3) = await RunAsync(noSection);
        await using (server3) string.Join("\n", log3.Lines).ShouldContain("The model's quiz was not usable: section 1 has no question");

        // Not JSON at all: the offline engine writes everything, and says so.
        var (plain, log4, server4) = await RunAsync([], raw: "Sorry, I cannot help with that.");
        await using (server4)
        {
            string.Join("\n", log4.Lines).ShouldContain("The model's answer was not the JSON asked for; the offline engine wrote all of the notes.");
            plain.Engine.ShouldBe("extractive");
            plain.Title.ShouldBe("Photosynthesis");
        }
    }
}

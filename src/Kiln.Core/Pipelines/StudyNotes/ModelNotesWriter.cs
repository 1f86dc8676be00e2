using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Ai;
using Kiln.Core.Notes;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>
/// With a configured model (<c>engine: provider/model</c>), the model writes the whole notes twin and the quiz in one
/// structured-output request (a JSON schema), from the transcript with its segment times (or pages). Nothing it says is
/// taken on trust: each part is checked against the source — timestamps inside the media and snapped to a segment start,
/// quotes verbatim in the transcript, quiz answers found in the transcript and at least one question per outline
/// section — and a part that fails keeps the offline engine's version, with a job-log line saying why.
/// </summary>
public sealed class ModelNotesWriter(IChatClient chat, string engineName)
{
    private const int MaxSourceCharacters = 60_000;

    /// <summary>The outcome: the note with the model's valid parts, and one sentence per part that fell back.</summary>
    public sealed record Result(StudyNote Note, IReadOnlyList<string> Fallbacks);

    public async Task<Result> WriteAsync(StudyNote offline, IReadOnlyList<Passage> passages, string language, int quizSize, CancellationToken ct)
    {
        var source = new SourceText(passages, offline.Source?.DurationSeconds);
        var prompt = Prompt(source, offline, language, quizSize);
        var options = new ChatOptions
        {
            Temperature = 0.2f,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(Schema, "study_notes", "Study notes and a quiz written from a lecture transcript."),
        };
        ChatResponse response;
        try
        {
            response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.System, "You write accurate study notes for students. You answer with JSON that follows the given schema, and use only what the source says."),
                 new ChatMessage(ChatRole.User, prompt)], options, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not HttpRequestException and not TimeoutException)
        {
            throw new PipelineException("ai_failed", "The text engine did not answer; the job will be retried.", transient: true, inner: ex);
        }

        var answer = Parse(response.Text);
        if (answer is null)
            return new Result(offline with { Engine = "extractive" }, ["The model's answer was not the JSON asked for; the offline engine wrote all of the notes."]);
        return Merge(offline, answer, source);
    }

    private Result Merge(StudyNote offline, Answer a, SourceText source)
    {
        var fallbacks = new List<string>();
        T Pick<T>(string part, T model, string? problem, T fallback)
        {
            if (problem is null) return model;
            fallbacks.Add($"The model's {part} {problem}; the offline engine's are used.");
            return fallback;
        }

        var title = a.Title?.Trim() is { Length: > 0 and <= 200 } t ? t : null;
        var summary = a.Summary?.Trim() is { Length: >= 20 } s ? s : null;

        var concepts = (a.Concepts ?? []).Select(c => new KeyConcept(c.Term?.Trim() ?? "", c.Definition?.Trim() ?? "", source.Snap(c.Time), source.PageOrNull(c.Page))).ToList();
        var conceptProblem = concepts.Count == 0 ? "were missing"
            : concepts.FirstOrDefault(c => c.Term.Length == 0 || c.Definition.Length == 0) is not null ? "had a term without a definition"
            : (a.Concepts ?? []).FirstOrDefault(c => !source.Inside(c.Time, c.Page, required: false)) is { } bad ? $"pointed outside the source ({Where(bad.Time, bad.Page)})"
            : null;

        var outline = (a.Outline ?? []).Select(o => new OutlineSection(o.Title?.Trim() ?? "", source.Snap(o.Start), null, source.PageOrNull(o.Page),
            (o.Points ?? []).Select(p => new OutlinePoint(p.Text?.Trim() ?? "", source.Snap(p.Time), source.PageOrNull(p.Page))).ToList())).ToList();
        var outlineProblem = outline.Count == 0 ? "were missing"
            : outline.Any(o => o.Title.Length == 0 || o.Points.Count == 0 || o.Points.Any(p => p.Text.Length == 0)) ? "had a section without a title or points"
            : (a.Outline ?? []).FirstOrDefault(o => !source.Inside(o.Start, o.Page, required: true) || (o.Points ?? []).Any(p => !source.Inside(p.Time, p.Page, required: false))) is { } bo
                ? $"had a timestamp outside the media (section \"{bo.Title}\" at {Where(bo.Start, bo.Page)})"
            : outline.Zip(outline.Skip(1)).Any(x => x.First.Start > x.Second.Start) ? "were not in the order of the lecture"
            : null;
        outline = outline.Select((o, i) => o with { End = i + 1 < outline.Count ? outline[i + 1].Start : source.Duration }).ToList();

        var quotes = (a.Quotes ?? []).Select(q => new NoteQuote(q.Text?.Trim() ?? "", source.Snap(q.Time), source.PageOrNull(q.Page))).ToList();
        var quoteProblem = quotes.Count == 0 ? "were missing"
            : quotes.FirstOrDefault(q => !source.Contains(q.Text)) is { } missing ? $"were not all in the transcript (\"{Short(missing.Text)}\" is not)"
            : null;

        var glossary = (a.Glossary ?? []).Select(g => new GlossaryEntry(g.Term?.Trim() ?? "", g.Definition?.Trim() ?? "")).ToList();
        var glossaryProblem = glossary.Count == 0 ? "were missing" : glossary.Any(g => g.Term.Length == 0 || g.Definition.Length == 0) ? "had an empty entry" : null;

        var questions = (a.OpenQuestions ?? []).Select(q => q?.Trim() ?? "").ToList();
        var questionsProblem = questions.Count == 0 || questions.Any(q => q.Length == 0) ? "were missing" : null;

        var finalOutline = Pick("outline sections", outline, outlineProblem, offline.Outline);
        var quiz = (a.Quiz ?? []).Select(q => new QuizQuestion(q.Kind ?? "", q.Prompt?.Trim() ?? "", (q.Choices ?? []).Select(c => c.Trim()).ToList(),
            q.Answer?.Trim() ?? "", q.Explanation?.Trim() ?? "", q.Section, source.Snap(q.Time), source.PageOrNull(q.Page))).ToList();
        var quizProblem = outlineProblem is not null ? "questions were written for its own outline, which was not used"
            : QuizProblem(quiz, a.Quiz ?? [], outline.Count, source);

        var note = offline with
        {
            Title = title ?? offline.Title,
            Summary = summary ?? offline.Summary,
            Concepts = Pick("key concepts", concepts, conceptProblem, offline.Concepts),
            Outline = finalOutline,
            Quotes = Pick("quotes", quotes, quoteProblem, offline.Quotes),
            Glossary = Pick("glossary entries", glossary, glossaryProblem, offline.Glossary),
            OpenQuestions = Pick("open questions", questions, questionsProblem, offline.OpenQuestions),
            Quiz = Pick("quiz", quiz, quizProblem is null ? null : $"was not usable: {quizProblem}", offline.Quiz),
        };
        if (title is null) fallbacks.Insert(0, "The model's title was missing; the offline engine's is used.");
        if (summary is null) fallbacks.Insert(0, "The model's summary was missing; the offline engine's is used.");
        return new Result(note with { Engine = fallbacks.Count == 0 ? engineName : engineName + "+extractive" }, fallbacks);
    }

    private static string? QuizProblem(List<QuizQuestion> quiz, IReadOnlyList<AnswerQuestion> raw, int sections, SourceText source)
    {
        if (quiz.Count == 0) return "there were no questions";
        for (var i = 0; i < quiz.Count; i++)
        {
            var q = quiz[i];
            if (q.Prompt.Length == 0 || q.Answer.Length == 0 || q.Explanation.Length == 0) return $"question {i + 1} has no prompt, answer or explanation";
            if (q.Kind == QuizQuestion.MultipleChoice)
            {
                if (q.Choices.Count < 2 || !q.Choices.Contains(q.Answer, StringComparer.OrdinalIgnoreCase) || q.Choices.Distinct(StringComparer.OrdinalIgnoreCase).Count() != q.Choices.Count)
                    return $"question {i + 1} is multiple choice without its answer among distinct choices";
            }
            else if (q.Kind != QuizQuestion.ShortAnswer) return $"question {i + 1} is of an unknown kind \"{q.Kind}\"";
            if (!source.Contains(q.Answer)) return $"the answer to question {i + 1} (\"{Short(q.Answer)}\") is not in the transcript";
            if (q.Section < 0 || q.Section >= sections) return $"question {i + 1} names section {q.Section}, which does not exist";
            if (!source.Inside(raw[i].Time, raw[i].Page, required: true)) return $"question {i + 1} points outside the media ({Where(raw[i].Time, raw[i].Page)})";
        }
        var missed = Enumerable.Range(0, sections).FirstOrDefault(s => quiz.All(q => q.Section != s), -1);
        return missed >= 0 ? $"section {missed + 1} has no question" : null;
    }

    private static string Prompt(SourceText source, StudyNote offline, string language, int quizSize)
    {
        var timed = source.Timed;
        return $"""
            Write study notes and a quiz for this lecture, in the language with ISO code "{language}".
            The source is below, one segment per line, each starting with {(timed ? "its start time in seconds, like [12.5]" : "its page, like [p. 3]")}.
            - title: a short title for the lecture.
            - summary: one paragraph of at most 120 words.
            - concepts: the key concepts, each with a one-sentence definition taken from the source.
            - outline: the lecture's sections in order, each with a title and 2 to 4 points. {(timed ? "Every start and time must be one of the segment start times shown (never later than " + source.Duration?.ToString("0.#", CultureInfo.InvariantCulture) + ")." : "Give the page of each section and point; leave time null.")}
            - quotes: 1 to 3 important sentences copied word for word from the source.
            - glossary: terms with short meanings. openQuestions: 2 to 4 questions the lecture leaves open.
            - quiz: {quizSize} questions (at least one per outline section), "multiple-choice" (3 or 4 choices, the answer exactly one of them) or "short-answer" (no choices). Every answer must be words that appear in the source, so it can be checked against it. "section" is the 0-based index of the outline section the question comes from; give its {(timed ? "time" : "page")}.
            Use null for a {(timed ? "page" : "time")}.
            Terms the offline engine found (a hint, not a limit): {string.Join(", ", offline.Concepts.Select(c => c.Term))}.
            {ChatHints.SourceStart}{source.Prompt(MaxSourceCharacters)}{ChatHints.SourceEnd}
            """;
    }

    private static Answer? Parse(string text)
    {
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start) return null;
        try { return JsonSerializer.Deserialize<Answer>(text[start..(end + 1)], AnswerJson); }
        catch (JsonException) { return null; }
    }

    private static string Where(double? time, int? page) =>
        time is { } t ? StudyNote.Timestamp(t) : page is { } p ? $"p. {p}" : "no time";

    private static string Short(string text) => text.Length <= 60 ? text : text[..57] + "…";

    private static readonly JsonSerializerOptions AnswerJson = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    private sealed record Answer(string? Title, string? Summary, List<AnswerConcept>? Concepts, List<AnswerSection>? Outline, List<AnswerLocated>? Quotes,
        List<AnswerGlossary>? Glossary, List<string?>? OpenQuestions, List<AnswerQuestion>? Quiz);
    private sealed record AnswerConcept(string? Term, string? Definition, double? Time, int? Page);
    private sealed record AnswerSection(string? Title, double? Start, int? Page, List<AnswerLocated>? Points);
    private sealed record AnswerLocated(string? Text, double? Time, int? Page);
    private sealed record AnswerGlossary(string? Term, string? Definition);
    private sealed record AnswerQuestion(string? Kind, string? Prompt, List<string>? Choices, string? Answer, string? Explanation, int Section, double? Time, int? Page);

    /// <summary>The source as the model sees it and as its answer is checked against.</summary>
    private sealed class SourceText
    {
        private readonly IReadOnlyList<Passage> _passages;
        private readonly double[] _starts;
        private readonly string _normalized;
        private readonly int _maxPage;

        public SourceText(IReadOnlyList<Passage> passages, double? duration)
        {
            _passages = passages;
            _starts = passages.Where(p => p.Start is not null).Select(p => p.Start!.Value).Order().ToArray();
            Timed = _starts.Length > 0;
            Duration = Timed ? Math.Max(duration ?? 0, passages.Max(p => p.End ?? p.Start ?? 0)) : null;
            _maxPage = passages.Max(p => p.Page ?? 0);
            _normalized = " " + Normalize(string.Join(' ', passages.Select(p => p.Text))) + " ";
        }

        public bool Timed { get; }
        public double? Duration { get; }

        public string Prompt(int max)
        {
            var sb = new StringBuilder();
            foreach (var p in _passages)
            {
                var line = (p.Start is { } s ? "[" + s.ToString("0.#", CultureInfo.InvariantCulture) + "] " : p.Page is { } page ? $"[p. {page}] " : "") + p.Text.Trim();
                if (sb.Length + line.Length > max) break;
                sb.Append(line).Append('\n');
            }
            return sb.ToString();
        }

        /// <summary>A time or page inside the source; <paramref name="required"/>: a timed source must be given one.</summary>
        public bool Inside(double? time, int? page, bool required)
        {
            if (Timed) return time is { } t ? t >= 0 && t <= Duration + 0.5 : !required;
            return page is not { } p || (p >= 1 && (_maxPage == 0 || p <= _maxPage));
        }

        /// <summary>The segment start at or just before the time: a timestamp link lands at the start of what was said.</summary>
        public double? Snap(double? time)
        {
            if (!Timed || time is not { } t) return null;
            var i = Array.BinarySearch(_starts, t + 0.05);
            i = i >= 0 ? i : Math.Max(0, ~i - 1);
            return _starts[i];
        }

        public int? PageOrNull(int? page) => Timed ? null : page is >= 1 ? page : null;

        public bool Contains(string text)
        {
            var n = Normalize(text);
            return n.Length > 0 && _normalized.Contains(" " + n + " ", StringComparison.Ordinal);
        }

        private static string Normalize(string text)
        {
            var sb = new StringBuilder(text.Length);
            var space = true;
            foreach (var c in text)
            {
                if (char.IsLetterOrDigit(c)) { sb.Append(char.ToLowerInvariant(c)); space = false; }
                else if (!space && c != '\'' && c != '’') { sb.Append(' '); space = true; }
            }
            return sb.ToString().Trim();
        }
    }

    private static readonly JsonElement Schema = JsonDocument.Parse("""
        {
          "type": "object", "additionalProperties": false,
          "required": ["title", "summary", "concepts", "outline", "quotes", "glossary", "openQuestions", "quiz"],
          "properties": {
            "title": { "type": "string" },
            "summary": { "type": "string" },
            "concepts": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["term", "definition", "time", "page"],
              "properties": { "term": { "type": "string" }, "definition": { "type": "string" }, "time": { "type": ["number", "null"] }, "page": { "type": ["integer", "null"] } } } },
            "outline": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["title", "start", "page", "points"],
              "properties": { "title": { "type": "string" }, "start": { "type": ["number", "null"] }, "page": { "type": ["integer", "null"] },
                "points": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["text", "time", "page"],
                  "properties": { "text": { "type": "string" }, "time": { "type": ["number", "null"] }, "page": { "type": ["integer", "null"] } } } } } } },
            "quotes": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["text", "time", "page"],
              "properties": { "text": { "type": "string" }, "time": { "type": ["number", "null"] }, "page": { "type": ["integer", "null"] } } } },
            "glossary": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["term", "definition"],
              "properties": { "term": { "type": "string" }, "definition": { "type": "string" } } } },
            "openQuestions": { "type": "array", "items": { "type": "string" } },
            "quiz": { "type": "array", "items": { "type": "object", "additionalProperties": false,
              "required": ["kind", "prompt", "choices", "answer", "explanation", "section", "time", "page"],
              "properties": { "kind": { "type": "string", "enum": ["multiple-choice", "short-answer"] }, "prompt": { "type": "string" },
                "choices": { "type": "array", "items": { "type": "string" } }, "answer": { "type": "string" }, "explanation": { "type": "string" },
                "section": { "type": "integer" }, "time": { "type": ["number", "null"] }, "page": { "type": ["integer", "null"] } } } }
          }
        }
        """).RootElement.Clone();
}

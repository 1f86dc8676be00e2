using Kiln.Core.Ai;
using Kiln.Core.Notes;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Notes;

/// <summary>Take a note's quiz, see the score with explanations, and retry the questions that were missed.</summary>
public sealed class QuizModel(GetNoteQuery notes) : KilnPageModel
{
    public Note Note { get; private set; } = null!;
    public IReadOnlyList<QuizQuestion> Questions { get; private set; } = [];
    /// <summary>The question numbers on this round (all, or the ones missed last time).</summary>
    public IReadOnlyList<int> Shown { get; private set; } = [];
    public Dictionary<int, string> Answers { get; private set; } = [];
    public Dictionary<int, bool>? Results { get; private set; }
    public string? Only { get; private set; }
    public int Score => Results?.Count(r => r.Value) ?? 0;

    public async Task<IActionResult> OnGetAsync(Guid id, string? only, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct)) return NotFoundPage();
        Only = only;
        Shown = Parse(only);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Guid id, string? only, [FromForm] Dictionary<int, string>? answers, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct)) return NotFoundPage();
        Only = only;
        Shown = Parse(only);
        Answers = answers ?? [];
        Results = Shown.ToDictionary(i => i, i => IsCorrect(Questions[i], Answers.GetValueOrDefault(i)));
        return Page();
    }

    public string Missed => string.Join(',', Results?.Where(r => !r.Value).Select(r => r.Key) ?? []);

    /// <summary>Multiple choice: the right option. Short answer: the term itself, or most of the answer's content words.</summary>
    public static bool IsCorrect(QuizQuestion q, string? given)
    {
        if (string.IsNullOrWhiteSpace(given)) return false;
        given = given.Trim();
        if (string.Equals(given.TrimEnd('.'), q.Answer.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)) return true;
        if (q.Kind == QuizQuestion.MultipleChoice) return false;
        var expected = TextRank.Tokens(q.Answer);
        if (expected.Count == 0) return false;
        var tokens = TextRank.Tokens(given);
        return expected.Count(tokens.Contains) >= Math.Ceiling(expected.Count * 0.6);
    }

    private List<int> Parse(string? only)
    {
        var all = Enumerable.Range(0, Questions.Count).ToList();
        if (string.IsNullOrWhiteSpace(only)) return all;
        var picked = only.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, out var i) ? i : -1).Where(i => i >= 0 && i < Questions.Count).Distinct().Order().ToList();
        return picked.Count == 0 ? all : picked;
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken ct)
    {
        var found = await notes.Run(Workspace, id, ct);
        if (found.Error is not null) return false;
        Note = found.Value!;
        try { Questions = StudyNote.FromJson(Note.ContentJson)?.Quiz ?? []; } catch (System.Text.Json.JsonException) { Questions = []; }
        return true;
    }
}

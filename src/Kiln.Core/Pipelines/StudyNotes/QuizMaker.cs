using System.Text.RegularExpressions;
using Kiln.Core.Notes;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>
/// Questions from the source's own sentences: a multiple-choice cloze (the key term blanked out, the other choices real
/// terms of the same note or course) and a short answer ("What is X?" answered by the source's definition, or a cloze).
/// Every section gets at least one question; the answer always appears in the source.
/// </summary>
public static class QuizMaker
{
    public sealed record Line(string Text, double? Time, int? Page, int Section);

    public static IReadOnlyList<QuizQuestion> Make(IReadOnlyList<Line> lines, double[] rank, IReadOnlyList<Term> terms,
        IReadOnlyList<string> courseTerms, int size, int sections)
    {
        // Candidate (line, term) pairs per section, best first: definitions, then central sentences.
        var bySection = Enumerable.Range(0, sections).Select(section =>
            lines.Select((l, i) => (l, i)).Where(x => x.l.Section == section && NotesComposer.Words(x.l.Text) >= 5)
                .SelectMany(x => terms.Where(t => NotesComposer.MentionsOnItsOwn(x.l.Text, t, terms)).Select(t => (x.l, x.i, t)))
                .OrderByDescending(x => TermExtractor.DefinitionBody(x.l.Text, x.t.Key) is not null)
                .ThenByDescending(x => rank[x.i] * (1 + 0.15 * x.t.Words)).ThenBy(x => x.i)
                .ToList()).ToList();

        var quiz = new List<QuizQuestion>();
        var usedLines = new HashSet<int>();
        var usedTerms = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; quiz.Count < size && round < 6; round++)
        {
            var added = false;
            for (var section = 0; section < sections && quiz.Count < size; section++)
            {
                var pick = bySection[section].FirstOrDefault(x => !usedLines.Contains(x.i) && !usedTerms.Contains(x.t.Key));
                if (pick.l is null) pick = bySection[section].FirstOrDefault(x => !usedLines.Contains(x.i));
                if (pick.l is null) continue;
                usedLines.Add(pick.i);
                usedTerms.Add(pick.t.Key);
                var question = (quiz.Count % 2 == 0 ? MultipleChoice(pick.l, pick.t, terms, courseTerms) : null) ?? ShortAnswer(pick.l, pick.t);
                quiz.Add(question);
                added = true;
            }
            if (!added) break;
        }
        return quiz;
    }

    private static QuizQuestion? MultipleChoice(Line line, Term term, IReadOnlyList<Term> terms, IReadOnlyList<string> courseTerms)
    {
        var prompt = Blank(line.Text, term);
        if (prompt is null) return null;
        // Distractors: other real terms, not in the sentence, of a similar length, course terms after the note's own.
        var pool = terms.Select(t => t.Display).Concat(courseTerms)
            .Where(d => !string.Equals(d, term.Display, StringComparison.OrdinalIgnoreCase)
                        && !TermExtractor.Mentions(line.Text, d.ToLowerInvariant())
                        && !TermExtractor.Contains(term.Key, d.ToLowerInvariant()) && !TermExtractor.Contains(d.ToLowerInvariant(), term.Key))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(d => Math.Abs((d.Count(c => c == ' ') + 1) - term.Words))
            .Take(3).ToList();
        if (pool.Count < 2) return null;
        var choices = pool.Append(term.Display).OrderBy(c => Hash(c + line.Text)).ToList();
        return new QuizQuestion(QuizQuestion.MultipleChoice, $"Fill in the blank: {prompt}", choices, term.Display,
            $"The source says: “{line.Text}”", line.Section, line.Time, line.Page);
    }

    private static QuizQuestion ShortAnswer(Line line, Term term)
    {
        if (TermExtractor.DefinitionBody(line.Text, term.Key) is { } body)
            return new QuizQuestion(QuizQuestion.ShortAnswer, $"In your own words: what is {term.Display}?", [], body,
                $"The source defines it: “{line.Text}”", line.Section, line.Time, line.Page);
        var prompt = Blank(line.Text, term) ?? line.Text;
        return new QuizQuestion(QuizQuestion.ShortAnswer, $"Which term completes this? {prompt}", [], term.Display,
            $"The source says: “{line.Text}”", line.Section, line.Time, line.Page);
    }

    private static string? Blank(string text, Term term)
    {
        var pattern = @"(?<![\p{L}\p{N}])" + string.Join(@"\s+", term.Key.Split(' ').Select(Regex.Escape)) + @"(?![\p{L}\p{N}])";
        var blanked = Regex.Replace(text, pattern, "_____", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return blanked == text ? null : blanked;
    }

    private static uint Hash(string text)
    {
        var h = 2166136261u;
        foreach (var ch in text) h = (h ^ ch) * 16777619u;
        return h;
    }
}

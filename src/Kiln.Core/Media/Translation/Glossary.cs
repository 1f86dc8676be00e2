using System.Text.RegularExpressions;

namespace Kiln.Core.Media.Translation;

/// <summary>
/// Terms that must never be translated (product names, people): each is swapped for an opaque placeholder before the
/// engine sees the text and put back after. Works the same for every engine; the placeholders are unknown words to
/// Apertium (passed through by <c>-u</c>) and are kept by chat models and DeepL (asked to keep them).
/// </summary>
public sealed class Glossary
{
    private readonly List<string> _terms;

    public Glossary(IEnumerable<string>? terms) =>
        // Longest first, so "Kiln Cloud" wins over "Kiln".
        _terms = (terms ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(t => t.Length).ToList();

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>The text with every term replaced by <c>Zq{n}q</c> (a token no language has).</summary>
    public string Protect(string text)
    {
        for (var i = 0; i < _terms.Count; i++)
            text = Regex.Replace(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(_terms[i])}(?![\p{{L}}\p{{N}}])", Token(i), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return text;
    }

    /// <summary>Puts the terms back (in their glossary spelling), tolerating case changes an engine made to the token.</summary>
    public string Restore(string text)
    {
        for (var i = 0; i < _terms.Count; i++)
            text = Regex.Replace(text, Regex.Escape(Token(i)), _terms[i].Replace("$", "$$", StringComparison.Ordinal), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return text;
    }

    private static string Token(int i) => $"Zq{i}q";

    /// <summary>Translates through <paramref name="translator"/> with the glossary's terms protected.</summary>
    public async Task<IReadOnlyList<string>> TranslateAsync(ITranslator translator, IReadOnlyList<string> segments, string source, string target, CancellationToken ct)
    {
        if (IsEmpty) return await translator.TranslateAsync(segments, source, target, ct);
        var translated = await translator.TranslateAsync(segments.Select(Protect).ToList(), source, target, ct);
        return translated.Select(Restore).ToList();
    }
}

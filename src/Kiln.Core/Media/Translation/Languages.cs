using System.Collections.Frozen;

namespace Kiln.Core.Media.Translation;

/// <summary>ISO 639 helpers: English names of the languages Kiln offers and the 639-2/3 → 639-1 mapping Apertium's mode names need.</summary>
public static class Languages
{
    private static readonly FrozenDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["en"] = "English", ["es"] = "Spanish", ["fr"] = "French", ["de"] = "German", ["ca"] = "Catalan", ["pt"] = "Portuguese",
        ["gl"] = "Galician", ["it"] = "Italian", ["nl"] = "Dutch", ["eu"] = "Basque", ["oc"] = "Occitan", ["ro"] = "Romanian",
        ["sv"] = "Swedish", ["da"] = "Danish", ["nb"] = "Norwegian Bokmål", ["nn"] = "Norwegian Nynorsk", ["pl"] = "Polish",
        ["cs"] = "Czech", ["ja"] = "Japanese", ["ko"] = "Korean", ["ar"] = "Arabic", ["hi"] = "Hindi", ["ru"] = "Russian",
        ["zh"] = "Chinese", ["tr"] = "Turkish", ["uk"] = "Ukrainian", ["el"] = "Greek", ["fi"] = "Finnish", ["hu"] = "Hungarian",
        ["id"] = "Indonesian", ["eo"] = "Esperanto", ["cy"] = "Welsh", ["ga"] = "Irish", ["is"] = "Icelandic", ["mt"] = "Maltese",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> ThreeToTwo = new Dictionary<string, string>
    {
        ["eng"] = "en", ["spa"] = "es", ["fra"] = "fr", ["fre"] = "fr", ["deu"] = "de", ["ger"] = "de", ["cat"] = "ca",
        ["por"] = "pt", ["glg"] = "gl", ["ita"] = "it", ["nld"] = "nl", ["eus"] = "eu", ["oci"] = "oc", ["ron"] = "ro",
        ["swe"] = "sv", ["dan"] = "da", ["nob"] = "nb", ["nno"] = "nn", ["pol"] = "pl", ["ces"] = "cs", ["jpn"] = "ja",
        ["kor"] = "ko", ["ara"] = "ar", ["hin"] = "hi", ["rus"] = "ru", ["zho"] = "zh", ["tur"] = "tr", ["ukr"] = "uk",
        ["ell"] = "el", ["fin"] = "fi", ["hun"] = "hu", ["ind"] = "id", ["epo"] = "eo", ["cym"] = "cy", ["gle"] = "ga",
        ["isl"] = "is", ["mlt"] = "mt",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    // ISO 639-2/T codes (the bibliographic fre/ger left out): what MP4 and Matroska language tags use.
    private static readonly FrozenDictionary<string, string> TwoToThree = ThreeToTwo
        .Where(kv => kv.Key is not ("fre" or "ger")).ToFrozenDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    /// <summary>"spa" for "es" (for stream language tags); "und" when unknown.</summary>
    public static string ToIso6392(string code) => TwoToThree.GetValueOrDefault(code, "und");

    /// <summary>Every ISO 639-1 code Kiln has a name for.</summary>
    public static IReadOnlySet<string> KnownCodes { get; } = Names.Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>"Spanish" for "es"; the code itself when unknown.</summary>
    public static string Name(string code) => Names.GetValueOrDefault(code, code);

    public static bool IsIso6391(string code) => code.Length == 2 && code.All(char.IsAsciiLetterLower);

    /// <summary>A two- or three-letter code as ISO 639-1 ("spa" → "es", "es" → "es"), or null.</summary>
    public static string? ToIso6391(string code)
    {
        code = code.ToLowerInvariant();
        if (IsIso6391(code)) return code;
        return ThreeToTwo.GetValueOrDefault(code);
    }
}

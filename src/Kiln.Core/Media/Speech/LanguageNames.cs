namespace Kiln.Core.Media.Speech;

/// <summary>
/// OpenAI's verbose_json names the language in English ("english", "german"), as Whisper's tokenizer does; Kiln speaks
/// ISO 639-1. The app runs with invariant globalization, so CultureInfo cannot translate: this is Whisper's list.
/// </summary>
internal static class LanguageNames
{
    private static readonly Dictionary<string, string> Codes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["english"] = "en", ["chinese"] = "zh", ["german"] = "de", ["spanish"] = "es", ["castilian"] = "es", ["russian"] = "ru",
        ["korean"] = "ko", ["french"] = "fr", ["japanese"] = "ja", ["portuguese"] = "pt", ["turkish"] = "tr", ["polish"] = "pl",
        ["catalan"] = "ca", ["valencian"] = "ca", ["dutch"] = "nl", ["flemish"] = "nl", ["arabic"] = "ar", ["swedish"] = "sv",
        ["italian"] = "it", ["indonesian"] = "id", ["hindi"] = "hi", ["finnish"] = "fi", ["vietnamese"] = "vi", ["hebrew"] = "he",
        ["ukrainian"] = "uk", ["greek"] = "el", ["malay"] = "ms", ["czech"] = "cs", ["romanian"] = "ro", ["moldavian"] = "ro",
        ["danish"] = "da", ["hungarian"] = "hu", ["tamil"] = "ta", ["norwegian"] = "no", ["thai"] = "th", ["urdu"] = "ur",
        ["croatian"] = "hr", ["bulgarian"] = "bg", ["lithuanian"] = "lt", ["latin"] = "la", ["maori"] = "mi", ["malayalam"] = "ml",
        ["welsh"] = "cy", ["slovak"] = "sk", ["telugu"] = "te", ["persian"] = "fa", ["latvian"] = "lv", ["bengali"] = "bn",
        ["serbian"] = "sr", ["azerbaijani"] = "az", ["slovenian"] = "sl", ["kannada"] = "kn", ["estonian"] = "et",
        ["macedonian"] = "mk", ["breton"] = "br", ["basque"] = "eu", ["icelandic"] = "is", ["armenian"] = "hy", ["nepali"] = "ne",
        ["mongolian"] = "mn", ["bosnian"] = "bs", ["kazakh"] = "kk", ["albanian"] = "sq", ["swahili"] = "sw", ["galician"] = "gl",
        ["marathi"] = "mr", ["punjabi"] = "pa", ["panjabi"] = "pa", ["sinhala"] = "si", ["sinhalese"] = "si", ["khmer"] = "km",
        ["shona"] = "sn", ["yoruba"] = "yo", ["somali"] = "so", ["afrikaans"] = "af", ["occitan"] = "oc", ["georgian"] = "ka",
        ["belarusian"] = "be", ["tajik"] = "tg", ["sindhi"] = "sd", ["gujarati"] = "gu", ["amharic"] = "am", ["yiddish"] = "yi",
        ["lao"] = "lo", ["uzbek"] = "uz", ["faroese"] = "fo", ["haitian creole"] = "ht", ["haitian"] = "ht", ["pashto"] = "ps",
        ["pushto"] = "ps", ["turkmen"] = "tk", ["nynorsk"] = "nn", ["maltese"] = "mt", ["sanskrit"] = "sa", ["luxembourgish"] = "lb",
        ["letzeburgesch"] = "lb", ["myanmar"] = "my", ["burmese"] = "my", ["tibetan"] = "bo", ["tagalog"] = "tl", ["malagasy"] = "mg",
        ["assamese"] = "as", ["tatar"] = "tt", ["hawaiian"] = "haw", ["lingala"] = "ln", ["hausa"] = "ha", ["bashkir"] = "ba",
        ["javanese"] = "jw", ["sundanese"] = "su", ["cantonese"] = "yue",
    };

    /// <summary>An ISO 639-1 code for a language name or code ("english", "en", "en-US"); null when empty or unknown.</summary>
    public static string? ToCode(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        if (Codes.TryGetValue(value, out var code)) return code;
        var dash = value.IndexOfAny(['-', '_']);
        var head = dash > 0 ? value[..dash] : value;
        return head.Length is 2 or 3 && head.All(char.IsAsciiLetter) ? head.ToLowerInvariant() : null;
    }
}

using Kiln.Core.Media.Translation;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>
/// Price per second of input × a language multiplier, as three meters so an operator overrides each under
/// <c>Kiln:Pipelines:dubbing:Pricing:Units</c>: <c>second</c> (common languages, 0.1), <c>secondUncommon</c> (1.2×) and
/// <c>secondRare</c> (1.5×). One estimate line per language, each rounded up on its own.
/// </summary>
public static class DubbingPricing
{
    public const string Common = "second";
    public const string Uncommon = "secondUncommon";
    public const string Rare = "secondRare";
    /// <summary>Per started minute of input, per language spoken by a premium voice, on top of the language's seconds.</summary>
    public const string PremiumVoice = "premiumVoiceMinute";

    public static readonly PriceList Default = new(new Dictionary<string, decimal>
    {
        [Common] = 0.1m, [Uncommon] = 0.12m, [Rare] = 0.15m, [PremiumVoice] = 3m,
    }, Minimum: 1);

    private static readonly HashSet<string> UncommonLanguages = new(StringComparer.Ordinal) { "ja", "ko", "ar", "tr", "el", "uk", "pl", "cs", "fi", "hu" };
    private static readonly HashSet<string> RareLanguages = new(StringComparer.Ordinal) { "hi", "ru", "zh" };

    public static string Meter(string language) =>
        RareLanguages.Contains(language) ? Rare : UncommonLanguages.Contains(language) ? Uncommon : Common;

    /// <summary>The usage line of one target language: the input's seconds on the language's meter.</summary>
    public static Usage Premium(string language, string voice, double seconds) =>
        new(PremiumVoice, (decimal)Math.Ceiling(seconds / 60), $"Premium voice {voice} for {Languages.Name(language)} ({language}), minutes");

    public static Usage For(string language, double seconds) =>
        new(Meter(language), (decimal)Math.Ceiling(seconds), $"{Languages.Name(language)} ({language}), seconds");
}

using System.Text.RegularExpressions;

namespace Kiln.Core.Pipelines.Text;

/// <summary>Text as a voice should read it: list bullets become pauses (espeak-ng says "bullet"), no doubled stops.</summary>
public static partial class Speakable
{
    public static string Prepare(string text) =>
        DoubledStop().Replace(Bullet().Replace(text, ". "), "$1 ").TrimStart('.', ' ');

    [GeneratedRegex(@"([:;,.!?])\s*\.\s")]
    private static partial Regex DoubledStop();

    [GeneratedRegex(@"\s*[•▪◦‣∙]\s*")]
    private static partial Regex Bullet();
}

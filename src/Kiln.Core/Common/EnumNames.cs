using System.Text.Json;

namespace Kiln.Core.Common;

/// <summary>
/// The one spelling of enum values outside C#: snake_case_lower (<c>JobStatus.Succeeded</c> → <c>succeeded</c>,
/// <c>LedgerEntryKind.SubscriptionAllowance</c> → <c>subscription_allowance</c>). The JSON converter the web host
/// registers uses <see cref="Policy"/>, so messages, CSV, metrics, query strings and JSON bodies all agree.
/// </summary>
public static class EnumNames
{
    public static JsonNamingPolicy Policy { get; } = JsonNamingPolicy.SnakeCaseLower;

    /// <summary>The value as the API spells it.</summary>
    public static string WireName<T>(this T value) where T : struct, Enum => Policy.ConvertName(value.ToString());

    /// <summary>All defined values as the API spells them, in declaration order.</summary>
    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Enum.GetValues<T>().Select(v => v.WireName()).ToArray();

    /// <summary>Parses a name as the API spells it (case-insensitive); numbers and undefined names are refused.</summary>
    public static bool TryParse<T>(string? name, out T value) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
        {
            if (string.Equals(v.WireName(), name, StringComparison.OrdinalIgnoreCase))
            {
                value = v;
                return true;
            }
        }
        value = default;
        return false;
    }
}

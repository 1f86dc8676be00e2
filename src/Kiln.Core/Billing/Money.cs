using Kiln.Core.Billing.Providers;

namespace Kiln.Core.Billing;

/// <summary>Minor-unit conversions; a handful of currencies have no minor unit.</summary>
public static class Money
{
    private static readonly HashSet<string> ZeroDecimal = new(StringComparer.OrdinalIgnoreCase) { "JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX" };

    public static int Digits(string currency) => ZeroDecimal.Contains(currency) ? 0 : 2;

    public static string ToDecimalString(long minor, string currency) =>
        Digits(currency) == 0 ? minor.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : (minor / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    public static long FromDecimalString(string value, string currency) =>
        (long)Math.Round(decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture) * (Digits(currency) == 0 ? 1 : 100));
}

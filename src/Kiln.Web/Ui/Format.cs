using System.Globalization;
using Kiln.Core.Jobs;
using Kiln.Core.Common;

namespace Kiln.Web.Ui;

public static class Format
{
    public static string Status(JobStatus s) => s.WireName();

    public static string Bytes(long b) => b switch
    {
        < 1024 => $"{b} B",
        < 1024 * 1024 => (b / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (b / 1024.0 / 1024).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (b / 1024.0 / 1024 / 1024).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
    };

    public static string Utc(DateTime? t) => t is { } v ? DateTime.SpecifyKind(v, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "—";

    public static string Iso(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);

    public static string Duration(DateTime? from, DateTime? to)
    {
        if (from is null || to is null) return "—";
        var d = to.Value - from.Value;
        return d.TotalSeconds < 60 ? $"{d.TotalSeconds:0.0} s" : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes} min {d.Seconds} s" : $"{(int)d.TotalHours} h {d.Minutes} min";
    }

    public static string Credits(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// Prices are in minor units (cents), as the billing catalog stores them: 2000 EUR → "€20.00". Currencies without a
    /// well-known symbol keep their code ("20.00 CHF") rather than guess one; zero-decimal currencies have no fraction.
    /// </summary>
    public static string Money(long minor, string currency)
    {
        var code = currency.ToUpperInvariant();
        var amount = Kiln.Core.Billing.Money.ToDecimalString(minor, code);
        return Symbols.TryGetValue(code, out var symbol) ? symbol + amount : amount + " " + code;
    }

    private static readonly Dictionary<string, string> Symbols = new(StringComparer.Ordinal)
    {
        ["EUR"] = "€", ["USD"] = "$", ["GBP"] = "£", ["JPY"] = "¥", ["INR"] = "₹", ["KRW"] = "₩",
    };

    public static string CreditsLabel(long n) => Credits(n) + (n is 1 or -1 ? " credit" : " credits");

    /// <summary>A quantity or unit price without trailing zeros: 12, 0.2, 1.25.</summary>
    /// <summary>An estimated provider cost in the unit of the operator's configured model prices; "at least" when some calls had no price.</summary>
    public static string ProviderCost(decimal cost, bool incomplete) =>
        incomplete && cost == 0 ? "no price configured"
        : (incomplete ? "at least " : "") + cost.ToString("#,0.00####", System.Globalization.CultureInfo.InvariantCulture);

    public static string Quantity(decimal n) => n.ToString("#,0.###", System.Globalization.CultureInfo.InvariantCulture);
}

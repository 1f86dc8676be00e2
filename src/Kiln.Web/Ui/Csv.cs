using System.Globalization;

namespace Kiln.Web.Ui;

/// <summary>RFC 4180 CSV fields and lines for the downloads, with spreadsheet formula injection defused.</summary>
public static class Csv
{
    public static string Field(object? v)
    {
        var s = Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
        // A leading =, +, - or @ would run as a formula in spreadsheet apps.
        if (s.Length > 0 && "=+-@".Contains(s[0], StringComparison.Ordinal) && !long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) s = "'" + s;
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }

    public static string Line(params object?[] fields) => string.Join(',', fields.Select(Field)) + "\r\n";
}

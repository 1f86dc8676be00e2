using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Kiln.Web.Ui;

public sealed record ChartSeries(string Name, string CssClass, IReadOnlyList<long> Values);

/// <summary>
/// A small bar chart drawn as inline SVG on the server: no chart library, no script, and the CSP stays strict
/// because geometry uses SVG attributes and colour comes from CSS classes.
/// </summary>
public static class SvgChart
{
    private const int Width = 600, Height = 160, Left = 32, Bottom = 20, Top = 8;

    public static IHtmlContent Bars(string title, IReadOnlyList<DateOnly> days, params ChartSeries[] series)
    {
        var inv = CultureInfo.InvariantCulture;
        var max = Math.Max(1, days.Select((_, i) => series.Sum(s => s.Values[i])).DefaultIfEmpty(0).Max());
        var plotW = Width - Left - 4.0;
        var plotH = Height - Bottom - Top;
        var slot = plotW / Math.Max(1, days.Count);
        var barW = Math.Max(1, slot * 0.7);
        var total = series.Sum(s => s.Values.Sum());
        var enc = HtmlEncoder.Default;
        var sb = new StringBuilder();
        sb.Append(inv, $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"chart-t-{title.GetHashCode(StringComparison.Ordinal):x}\">");
        sb.Append(inv, $"<title id=\"chart-t-{title.GetHashCode(StringComparison.Ordinal):x}\">{enc.Encode(title)}: {total} in total over {days.Count} days</title>");
        foreach (var frac in max >= 4 ? new[] { 0.0, 0.5, 1.0 } : [0.0, 1.0])
        {
            var y = Top + plotH * (1 - frac);
            sb.Append(inv, $"<line class=\"chart-grid\" x1=\"{Left}\" x2=\"{Width}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\"/>");
            sb.Append(inv, $"<text class=\"chart-axis\" x=\"{Left - 4}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Math.Round(max * frac):0}</text>");
        }
        for (var i = 0; i < days.Count; i++)
        {
            var x = Left + i * slot + (slot - barW) / 2;
            var baseY = (double)Top + plotH;
            foreach (var s in series)
            {
                var v = s.Values[i];
                if (v <= 0) continue;
                var h = plotH * v / (double)max;
                baseY -= h;
                sb.Append(inv, $"<rect class=\"{s.CssClass}\" x=\"{x:0.##}\" y=\"{baseY:0.##}\" width=\"{barW:0.##}\" height=\"{h:0.##}\"><title>{days[i]:MMM d}: {v} {enc.Encode(s.Name)}</title></rect>");
            }
            // Counted back from today so the newest day is always labelled and labels never collide.
            if ((days.Count - 1 - i) % 7 == 0)
                sb.Append(inv, $"<text class=\"chart-axis\" x=\"{x + barW / 2:0.#}\" y=\"{Height - 4}\" text-anchor=\"{(i == days.Count - 1 ? "end" : "middle")}\">{days[i]:MMM d}</text>");
        }
        sb.Append("</svg>");
        return new HtmlString(sb.ToString());
    }
}

using System.Globalization;
using System.Text;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>One sample of a Prometheus text exposition: metric name, label set and value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A parsed Prometheus text exposition, so a test asserts a metric's name, its exact label set and its value instead of
/// a substring that depends on the exporter's label order. The OpenTelemetry exporter adds the instrumentation scope to
/// every series (<c>otel_scope_name</c>, <c>otel_scope_version</c>, …); those labels say which meter a series came from,
/// not what it measures, and are left out of the label set compared here.
/// </summary>
public sealed class PrometheusText
{
    public IReadOnlyList<PrometheusSample> Samples { get; }
    public string Text { get; }

    private PrometheusText(string text, List<PrometheusSample> samples)
    {
        Text = text;
        Samples = samples;
    }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            var i = 0;
            while (i < line.Length && line[i] is not ('{' or ' ')) i++;
            var name = line[..i];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (i < line.Length && line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    var eq = line.IndexOf('=', i);
                    var key = line[i..eq];
                    i = eq + 2; // past ="
                    var value = new StringBuilder();
                    for (; line[i] != '"'; i++)
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] switch { 'n' => '\n', var c => c });
                        }
                        else value.Append(line[i]);
                    }
                    i++; // past the closing quote
                    if (line[i] == ',') i++;
                    if (!key.StartsWith("otel_scope_", StringComparison.Ordinal)) labels[key] = value.ToString();
                }
                i++;
            }
            var fields = line[i..].Split(' ', StringSplitOptions.RemoveEmptyEntries); // value, then an optional timestamp
            samples.Add(new PrometheusSample(name, labels, double.Parse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return new PrometheusText(text, samples);
    }

    /// <summary>The samples called <paramref name="name"/> whose label set is exactly <paramref name="labels"/>.</summary>
    public IReadOnlyList<PrometheusSample> Find(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && s.Labels.Count == labels.Length
            && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();

    /// <summary>The value of the one sample called <paramref name="name"/> with exactly <paramref name="labels"/>; fails with the exposition when there is none.</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var found = Find(name, labels);
        found.Count.ShouldBe(1, $"{name}{{{string.Join(',', labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} in:\n{Text}");
        return found[0].Value;
    }
}

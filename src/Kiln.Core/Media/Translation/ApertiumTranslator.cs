using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.Core.Media.Translation;

/// <summary>
/// Offline translation with Apertium. The offered pairs are the modes actually installed (<c>apertium -l</c>), their
/// inconsistent names mapped to ISO 639-1 (<c>eng-spa</c> → en→es, <c>en-gl</c> → en→gl, <c>fr-es</c> → fr→es); variant
/// modes (<c>eng-cat_valencia</c>) are left out. Many segments go through one call, separated by a line Apertium passes
/// through untouched, so a ten-minute talk is one process, not hundreds.
/// </summary>
public sealed partial class ApertiumTranslator(IProcessRunner runner) : ITranslator
{
    internal const string Separator = ".||.";
    private readonly Lazy<IReadOnlyDictionary<(string, string), string>> _modes = new(() => ListModes(runner));

    public string Name => "apertium";

    /// <summary>(source, target) → mode name, read once from <c>apertium -l</c>.</summary>
    public IReadOnlyDictionary<(string Source, string Target), string> Modes => _modes.Value;

    public bool Supports(string source, string target) => Modes.ContainsKey((source, target));

    public IReadOnlySet<string>? Targets(string source) => Modes.Keys.Where(k => k.Source == source).Select(k => k.Target).ToHashSet(StringComparer.Ordinal);

    public async Task<IReadOnlyList<string>> TranslateAsync(IReadOnlyList<string> segments, string source, string target, CancellationToken ct)
    {
        if (segments.Count == 0) return [];
        if (!Modes.TryGetValue((source, target), out var mode))
            throw new InvalidOperationException($"Apertium has no installed mode for {source}→{target}.");
        var input = new StringBuilder();
        for (var i = 0; i < segments.Count; i++)
        {
            if (i > 0) input.Append("\n\n").Append(Separator).Append("\n\n");
            // A segment is one paragraph: inner line breaks would read as paragraph ends.
            input.Append(Whitespace().Replace(segments[i], " ").Trim());
        }
        var file = Path.Combine(Path.GetTempPath(), $"kiln-apertium-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, input.ToString(), ct);
        try
        {
            var result = ToolFailedException.EnsureSuccess(await runner.RunAsync(
                new ProcessSpec("apertium", ["-u", mode, file]) { Timeout = TimeSpan.FromMinutes(5), InstallHint = "install apertium and the language pair (apertium-eng-spa, …)" }, ct),
                "apertium");
            var parts = result.Stdout.Split(Separator, StringSplitOptions.None).Select(p => Whitespace().Replace(p, " ").Trim()).ToList();
            if (parts.Count != segments.Count)
                throw new ToolFailedException("apertium", 0, $"expected {segments.Count} segments back, got {parts.Count}");
            return parts;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static IReadOnlyDictionary<(string, string), string> ListModes(IProcessRunner runner)
    {
        ProcessResult result;
        try
        {
            result = runner.RunAsync(new ProcessSpec("apertium", ["-l"]) { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (ToolNotFoundException)
        {
            return new Dictionary<(string, string), string>();
        }
        return ParseModes(result.Stdout);
    }

    /// <summary>Reads <c>apertium -l</c>: one mode per line; only plain <c>xx-yy</c>/<c>xxx-yyy</c> modes whose codes map to ISO 639-1.</summary>
    internal static IReadOnlyDictionary<(string, string), string> ParseModes(string listing)
    {
        var modes = new Dictionary<(string, string), string>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var m = ModeName().Match(line);
            if (!m.Success) continue;
            if (Languages.ToIso6391(m.Groups[1].Value) is not { } from || Languages.ToIso6391(m.Groups[2].Value) is not { } to) continue;
            // Two modes for one pair (eng-spa and en-es): the first listed wins, which is stable for one installation.
            modes.TryAdd((from, to), line);
        }
        return modes;
    }

    [GeneratedRegex(@"^([a-z]{2,3})-([a-z]{2,3})$")]
    private static partial Regex ModeName();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

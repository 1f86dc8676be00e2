using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Kiln.Core.Notes;

/// <summary>
/// Renders a note's Markdown safely: raw HTML is not passed through (it is shown as text), links keep only http(s),
/// mailto, relative and fragment targets (no <c>javascript:</c>), <c>[[wiki-links]]</c> become links to the named note
/// (or plain text when it does not exist), and timestamps stay <c>#t=seconds</c> links that the page turns into seeks.
/// </summary>
public static partial class NoteMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();

    /// <param name="resolve">A wiki-link target → the URL of that note, or null when there is no such note.</param>
    public static string ToHtml(string markdown, Func<string, string?> resolve)
    {
        var withLinks = NoteLinker.WikiLink().Replace(markdown, m =>
        {
            var name = m.Groups["name"].Value.Trim();
            var inner = m.Value[2..^2];
            var bar = inner.IndexOf('|', StringComparison.Ordinal);
            var label = bar >= 0 ? inner[(bar + 1)..].Trim() : name;
            var url = resolve(name);
            return url is null ? $"*{EscapeText(label)}*" : $"[{EscapeText(label)}](<{url}>)";
        });
        var doc = Markdown.Parse(withLinks, Pipeline);
        foreach (var link in doc.Descendants<LinkInline>())
            if (!SafeUrl(link.Url)) link.Url = "#";
        foreach (var link in doc.Descendants<AutolinkInline>())
            if (!SafeUrl(link.Url)) link.Url = "#";
        using var writer = new StringWriter();
        var renderer = new Markdig.Renderers.HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(doc);
        writer.Flush();
        return writer.ToString();
    }

    public static bool SafeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return true;
        var trimmed = ControlOrSpace().Replace(url, "");
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        var slash = trimmed.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (slash >= 0 && slash < colon)) return true; // relative or fragment
        var scheme = trimmed[..colon].ToLowerInvariant();
        return scheme is "http" or "https" or "mailto";
    }

    private static string EscapeText(string text) => text.Replace("[", "\\[", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);

    [GeneratedRegex(@"[\s\p{Cc}]+")]
    private static partial Regex ControlOrSpace();
}

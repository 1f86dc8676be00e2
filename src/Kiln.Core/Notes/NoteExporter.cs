using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Media;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Notes;

/// <summary>Operator settings of the notes area (<c>Kiln:Notes</c>).</summary>
public sealed class NotesOptions
{
    /// <summary>HTML → PDF engine: <c>weasyprint</c> or <c>chromium</c>.</summary>
    public string PdfEngine { get; set; } = "weasyprint";
    public string WeasyPrintPath { get; set; } = "weasyprint";
    public string ChromiumPath { get; set; } = "chromium";
    public TimeSpan PdfTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed record ExportedFile(string FileName, string ContentType, byte[] Content);

/// <summary>
/// A note as a file: Markdown as written, a standalone HTML page (safe rendering, print styles, a link back to the note
/// and its source), a PDF made from that page by a real HTML engine (WeasyPrint or headless Chromium), or the whole
/// workspace as an Obsidian vault (a zip: one Markdown file per note named by its link name, YAML front matter, the
/// typed JSON of each note under <c>attachments/</c>).
/// </summary>
public sealed class NoteExporter(KilnDbContext db, IProcessRunner runner, IOptions<NotesOptions> options)
{
    public const string Formats = "md, html, pdf";

    public async Task<Result<ExportedFile>> Run(Guid workspaceId, Guid id, string? format, string noteUrlBase, CancellationToken ct)
    {
        var note = await db.Notes.AsNoTracking().FirstOrDefaultAsync(n => n.Id == id && n.WorkspaceId == workspaceId, ct);
        if (note is null) return NoteErrors.NotFound();
        var baseName = FileSafe(note.LinkName);
        switch ((format ?? "md").ToLowerInvariant())
        {
            case "md":
            case "markdown":
                return new ExportedFile(baseName + ".md", "text/markdown; charset=utf-8", Encoding.UTF8.GetBytes(note.Markdown));
            case "html":
                return new ExportedFile(baseName + ".html", "text/html; charset=utf-8", Encoding.UTF8.GetBytes(await HtmlAsync(note, noteUrlBase, ct)));
            case "pdf":
                return new ExportedFile(baseName + ".pdf", "application/pdf", await PdfAsync(await HtmlAsync(note, noteUrlBase, ct), ct));
            default:
                return NoteErrors.BadFormat(Formats);
        }
    }

    public async Task<string> HtmlAsync(Note note, string noteUrlBase, CancellationToken ct)
    {
        var targets = await db.Notes.AsNoTracking().Where(n => n.WorkspaceId == note.WorkspaceId).Select(n => new { n.LinkName, n.Id }).ToListAsync(ct);
        var map = targets.ToDictionary(t => t.LinkName, t => t.Id, StringComparer.Ordinal);
        var body = NoteMarkdown.ToHtml(note.Markdown, name => map.TryGetValue(name, out var target) ? $"{noteUrlBase}/{target}" : null);
        var self = $"{noteUrlBase}/{note.Id}";
        var source = note.SourceUrl is { Length: > 0 } url && NoteMarkdown.SafeUrl(url) && url.StartsWith("http", StringComparison.OrdinalIgnoreCase)
            ? $"<p class=\"source\">Source: <a href=\"{WebUtility.HtmlEncode(url)}\">{WebUtility.HtmlEncode(url)}</a></p>" : "";
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(note.Title)}}</title>
            <style>
            body { font-family: "DejaVu Sans", Arial, sans-serif; line-height: 1.5; max-width: 46em; margin: 2em auto; color: #1a1a1a; }
            h1 { font-size: 1.8em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
            pre, code { font-family: "DejaVu Sans Mono", monospace; background: #f4f4f4; }
            pre { white-space: pre-wrap; padding: .6em; border-radius: 4px; }
            table { border-collapse: collapse; } th, td { border: 1px solid #bbb; padding: .3em .6em; text-align: left; vertical-align: top; }
            blockquote { border-left: 4px solid #bbb; margin-left: 0; padding-left: 1em; color: #333; }
            .meta { color: #555; font-size: .9em; }
            </style></head>
            <body>
            {{body}}
            <hr>
            <p class="meta">Exported from Kiln: <a href="{{WebUtility.HtmlEncode(self)}}">{{WebUtility.HtmlEncode(self)}}</a> (version {{note.Version}}, {{note.UpdatedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}})</p>
            {{source}}
            </body></html>
            """;
    }

    private async Task<byte[]> PdfAsync(string html, CancellationToken ct)
    {
        var o = options.Value;
        var dir = Directory.CreateTempSubdirectory("kiln-note-pdf-");
        try
        {
            var input = Path.Combine(dir.FullName, "note.html");
            var output = Path.Combine(dir.FullName, "note.pdf");
            await File.WriteAllTextAsync(input, html, new UTF8Encoding(false), ct);
            var spec = string.Equals(o.PdfEngine, "chromium", StringComparison.OrdinalIgnoreCase)
                ? new ProcessSpec(o.ChromiumPath, ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", $"--user-data-dir={Path.Combine(dir.FullName, "profile")}", $"--print-to-pdf={output}", new Uri(input).AbsoluteUri]) { InstallHint = "install chromium" }
                : new ProcessSpec(o.WeasyPrintPath, ["--quiet", input, output]) { InstallHint = "install weasyprint" };
            var result = await runner.RunAsync(spec with { Timeout = o.PdfTimeout, WorkingDirectory = dir.FullName }, ct);
            if (!result.Succeeded || !File.Exists(output))
                throw new ToolFailedException(spec.FileName, result.ExitCode, result.Stderr.Length > 500 ? result.Stderr[^500..] : result.Stderr);
            return await File.ReadAllBytesAsync(output, ct);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Every note of the workspace as an Obsidian vault (zip).</summary>
    public async Task<ExportedFile> ObsidianAsync(Guid workspaceId, string workspaceName, CancellationToken ct)
    {
        var notes = await db.Notes.AsNoTracking().Where(n => n.WorkspaceId == workspaceId).OrderBy(n => n.CreatedAt).ToListAsync(ct);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var note in notes)
            {
                var name = FileSafe(note.LinkName);
                var md = new StringBuilder()
                    .Append("---\n")
                    .Append("title: ").Append(Yaml(note.Title)).Append('\n')
                    .Append("kiln_id: ").Append(note.Id.ToString()).Append('\n');
                if (note.Subject is { Length: > 0 } subject) md.Append("subject: ").Append(Yaml(subject)).Append('\n').Append("tags: [").Append(Yaml(Tag(subject))).Append("]\n");
                if (note.SourceUrl is { Length: > 0 } url) md.Append("source: ").Append(Yaml(url)).Append('\n');
                md.Append("source_kind: ").Append(note.SourceKind).Append('\n')
                    .Append("created: ").Append(note.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append('\n')
                    .Append("updated: ").Append(note.UpdatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append('\n')
                    .Append("version: ").Append(note.Version).Append('\n')
                    .Append("---\n\n")
                    .Append(note.Markdown.TrimEnd()).Append("\n\n")
                    .Append("[Structured notes and quiz (JSON)](attachments/").Append(Uri.EscapeDataString(name)).Append(".json)\n");
                await WriteAsync(zip, name + ".md", md.ToString(), ct);
                await WriteAsync(zip, $"attachments/{name}.json", note.ContentJson, ct);
            }
        }
        return new ExportedFile($"{FileSafe(workspaceName)} notes.zip", "application/zip", buffer.ToArray());
    }

    private static async Task WriteAsync(ZipArchive zip, string path, string text, CancellationToken ct)
    {
        var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
        await using var stream = entry.Open();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
    }

    /// <summary>Link names are already free of the characters file systems and wiki-links reject.</summary>
    private static string FileSafe(string name) => NoteLinker.LinkNameFor(name);

    private static string Yaml(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal) + "\"";

    private static string Tag(string subject) => new(subject.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
}

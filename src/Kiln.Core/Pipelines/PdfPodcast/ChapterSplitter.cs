using Kiln.Core.Media;
using Kiln.Core.Pipelines.Text;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>A chapter of the podcast. <see cref="Title"/> has no section number: <see cref="Index"/> is the one numbering.</summary>
public sealed record Chapter(int Index, string Title, int FirstPage, int LastPage, string Text)
{
    /// <summary>The cleaned lines with their pages, so script turns can cite the pages they draw on.</summary>
    public IReadOnlyList<TextLine> Lines { get; init; } = [];
}

/// <summary>The podcast's entry to the shared <see cref="Text.ChapterSplitter"/>, kept so existing callers compile unchanged.</summary>
public static class ChapterSplitter
{
    public const int ChunkChars = Text.ChapterSplitter.ChunkChars;

    public static IReadOnlyList<Chapter> Split(IReadOnlyList<TextLine> lines, IReadOnlyList<PdfOutlineEntry> outline, int maxChapters) =>
        Text.ChapterSplitter.Split(lines, outline, maxChapters)
            .Select(c => new Chapter(c.Index, c.Title, c.FirstPage, c.LastPage, c.Text) { Lines = c.Lines })
            .ToList();
}

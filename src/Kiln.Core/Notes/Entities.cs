namespace Kiln.Core.Notes;

/// <summary>A study note: its Markdown (what the user reads and edits) and the typed JSON the pipeline wrote.</summary>
public sealed class Note
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid? JobId { get; set; }
    public required string Title { get; set; }
    /// <summary>The name wiki-links use (<c>[[LinkName]]</c>) and the Obsidian file name: unique per workspace, fixed at creation.</summary>
    public required string LinkName { get; set; }
    public string? Subject { get; set; }
    public required string Markdown { get; set; }
    /// <summary>The typed twin (<see cref="StudyNote"/>) as JSON: outline, quiz, key terms, source.</summary>
    public required string ContentJson { get; set; }
    /// <summary>Key terms, lower case, separated by '|' (what related notes are found by).</summary>
    public string KeyTerms { get; set; } = "";
    /// <summary>media, subtitles, document or link.</summary>
    public required string SourceKind { get; set; }
    public Guid? SourceUploadId { get; set; }
    public string? SourceUrl { get; set; }
    public double? DurationSeconds { get; set; }
    public int Version { get; set; } = 1;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>Who ran the job that wrote it (per-member privacy shows members their own notes).</summary>
    public Guid? CreatedByUserId { get; set; }
    /// <summary>When its creator shared it with the workspace (matters only under per-member privacy).</summary>
    public DateTime? SharedAt { get; set; }
}

/// <summary>An earlier text of a note, kept when it is edited or restored.</summary>
public sealed class NoteVersion
{
    public Guid Id { get; set; }
    public Guid NoteId { get; set; }
    public Guid WorkspaceId { get; set; }
    public int Number { get; set; }
    public required string Title { get; set; }
    public required string Markdown { get; set; }
    public Guid? CreatedByUserId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A note links another because they share key terms; the other note shows it as a backlink.</summary>
public sealed class NoteLink
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid FromNoteId { get; set; }
    public Guid ToNoteId { get; set; }
    /// <summary>The shared key terms, separated by '|'.</summary>
    public required string SharedTerms { get; set; }
    public DateTime CreatedAt { get; set; }
}

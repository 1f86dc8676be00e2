namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>
/// A piece of the source as the notes engine reads it: a transcript segment or caption cue (with times) or a paragraph of a
/// document (with its page). <paramref name="Break"/> marks a hard section start (a long pause, a heading).
/// </summary>
public sealed record Passage(string Text, double? Start = null, double? End = null, int? Page = null, bool Break = false, string? Heading = null);

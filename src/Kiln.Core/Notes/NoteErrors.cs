using Kiln.Core.Common;

namespace Kiln.Core.Notes;

public static class NoteErrors
{
    public static Error NotFound() => Error.NotFound("note_not_found", "The note was not found.");
    public static Error VersionNotFound() => Error.NotFound("note_version_not_found", "That version of the note was not found.");
    public static Error TitleRequired() => Error.Invalid("title_required", "A note needs a title of at most 300 characters.") with { Extensions = new Dictionary<string, object?> { ["field"] = "title" } };
    public static Error TooLong(int max) => Error.TooLarge("note_too_long", $"A note can be at most {max:N0} characters long.") with { Extensions = new Dictionary<string, object?> { ["field"] = "markdown" } };
    public static Error Stale(int current) => Error.Conflict("note_changed", $"The note was changed elsewhere (it is now at version {current}); reload it before saving.") with { Extensions = new Dictionary<string, object?> { ["version"] = current } };
    public static Error BadFormat(string allowed) => Error.Invalid("invalid_format", $"format must be one of: {allowed}.") with { Extensions = new Dictionary<string, object?> { ["field"] = "format" } };
}

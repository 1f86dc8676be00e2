using System.Text.RegularExpressions;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Notes;

/// <summary>
/// Full-text search over notes' titles and bodies: SQLite FTS5 (porter stemming) or PostgreSQL's English text search over
/// the expression index the migration creates. The result is an <see cref="IQueryable{Note}"/> to compose with the
/// workspace filter, the subject filter and paging.
/// </summary>
public static partial class NoteSearch
{
    public static IQueryable<Note> Matching(KilnDbContext db, string query)
    {
        var words = Word().Matches(query).Select(m => m.Value.ToLowerInvariant()).Distinct().Take(12).ToList();
        if (words.Count == 0) return db.Notes;
        if (db.IsPostgres)
        {
            // Letters and digits only, so the words cannot carry tsquery operators; the last is a prefix.
            var tsquery = string.Join(" & ", words.Select((w, i) => i == words.Count - 1 ? w + ":*" : w));
            return db.Notes.FromSql($"SELECT * FROM notes WHERE to_tsvector('english', title || ' ' || markdown) @@ to_tsquery('english', {tsquery})");
        }
        // Every word must match; each is quoted so FTS5 reads no operators, and the last may be a prefix (search as you type).
        var fts = string.Join(' ', words.Select((w, i) => "\"" + w + "\"" + (i == words.Count - 1 ? "*" : "")));
        return db.Notes.FromSql($"SELECT * FROM notes WHERE rowid IN (SELECT rowid FROM notes_search WHERE notes_search MATCH {fts})");
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}

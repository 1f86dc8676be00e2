using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Study notes: notes, their versions and the links between them, plus full-text search over title and body — an FTS5
/// table kept in step by triggers on SQLite, an expression GIN index over <c>to_tsvector('english', …)</c> on PostgreSQL.
/// The search objects are provider SQL the EF model does not describe (<c>NoteSearch</c> queries them).
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206070000_Notes")]
public sealed class Notes : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "notes",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                job_id = table.Column<Guid>(nullable: true),
                title = table.Column<string>(maxLength: 300, nullable: false),
                link_name = table.Column<string>(maxLength: 300, nullable: false),
                subject = table.Column<string>(maxLength: 100, nullable: true),
                markdown = table.Column<string>(nullable: false),
                content_json = table.Column<string>(nullable: false),
                key_terms = table.Column<string>(maxLength: 2000, nullable: false),
                source_kind = table.Column<string>(maxLength: 32, nullable: false),
                source_upload_id = table.Column<Guid>(nullable: true),
                source_url = table.Column<string>(maxLength: 2000, nullable: true),
                duration_seconds = table.Column<double>(nullable: true),
                version = table.Column<int>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_notes", x => x.id));

        migrationBuilder.CreateTable(
            name: "note_versions",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                note_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                number = table.Column<int>(nullable: false),
                title = table.Column<string>(maxLength: 300, nullable: false),
                markdown = table.Column<string>(nullable: false),
                created_by_user_id = table.Column<Guid>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_note_versions", x => x.id));

        migrationBuilder.CreateTable(
            name: "note_links",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                from_note_id = table.Column<Guid>(nullable: false),
                to_note_id = table.Column<Guid>(nullable: false),
                shared_terms = table.Column<string>(maxLength: 1000, nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_note_links", x => x.id));

        migrationBuilder.CreateIndex(name: "ix_notes_workspace_id_updated_at", table: "notes", columns: new[] { "workspace_id", "updated_at" });
        migrationBuilder.CreateIndex(name: "ix_notes_workspace_id_link_name", table: "notes", columns: new[] { "workspace_id", "link_name" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_notes_job_id", table: "notes", column: "job_id", unique: true);
        migrationBuilder.CreateIndex(name: "ix_note_versions_note_id_number", table: "note_versions", columns: new[] { "note_id", "number" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_note_links_from_note_id_to_note_id", table: "note_links", columns: new[] { "from_note_id", "to_note_id" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_note_links_to_note_id", table: "note_links", column: "to_note_id");

        if (ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            migrationBuilder.Sql("CREATE INDEX ix_notes_search ON notes USING gin (to_tsvector('english', title || ' ' || markdown));");
        }
        else
        {
            migrationBuilder.Sql("CREATE VIRTUAL TABLE notes_search USING fts5(title, markdown, content='notes', content_rowid='rowid', tokenize='porter unicode61');");
            migrationBuilder.Sql("""
                CREATE TRIGGER notes_search_insert AFTER INSERT ON notes BEGIN
                  INSERT INTO notes_search(rowid, title, markdown) VALUES (new.rowid, new.title, new.markdown);
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER notes_search_delete AFTER DELETE ON notes BEGIN
                  INSERT INTO notes_search(notes_search, rowid, title, markdown) VALUES ('delete', old.rowid, old.title, old.markdown);
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER notes_search_update AFTER UPDATE OF title, markdown ON notes BEGIN
                  INSERT INTO notes_search(notes_search, rowid, title, markdown) VALUES ('delete', old.rowid, old.title, old.markdown);
                  INSERT INTO notes_search(rowid, title, markdown) VALUES (new.rowid, new.title, new.markdown);
                END;
                """);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        if (ActiveProvider != "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS notes_search_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS notes_search_delete;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS notes_search_insert;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS notes_search;");
        }
        migrationBuilder.DropTable(name: "note_links");
        migrationBuilder.DropTable(name: "note_versions");
        migrationBuilder.DropTable(name: "notes");
    }
}

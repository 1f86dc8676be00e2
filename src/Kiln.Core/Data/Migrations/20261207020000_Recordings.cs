using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Browser recordings: a session per recording and one row per received chunk, unique per (recording, index) so a
/// retried chunk is recognized. Finalized recordings stay (without chunks): their durations are the plan's monthly
/// recording minutes, summed per workspace by finalization time. Episodes gain their own artwork.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261207020000_Recordings")]
public sealed class Recordings : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "recordings",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                show_id = table.Column<Guid>(nullable: false),
                episode_id = table.Column<Guid>(nullable: false),
                created_by_user_id = table.Column<Guid>(nullable: true),
                content_type = table.Column<string>(maxLength: 100, nullable: false),
                status = table.Column<int>(nullable: false),
                upload_id = table.Column<Guid>(nullable: true),
                duration_seconds = table.Column<double>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
                finalized_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_recordings", x => x.id));

        migrationBuilder.CreateTable(
            name: "recording_chunks",
            columns: table => new
            {
                recording_id = table.Column<Guid>(nullable: false),
                index = table.Column<int>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                size = table.Column<long>(nullable: false),
                sha256 = table.Column<string>(maxLength: 64, nullable: false),
                duration_seconds = table.Column<double>(nullable: false),
                starts_segment = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_recording_chunks", x => new { x.recording_id, x.index }));

        // Episode artwork (the item's itunes:image and the MP3's ID3 picture).
        migrationBuilder.AddColumn<string>(name: "artwork_key", table: "episodes", maxLength: 500, nullable: true);
        migrationBuilder.AddColumn<string>(name: "artwork_content_type", table: "episodes", maxLength: 64, nullable: true);
        migrationBuilder.AddColumn<string>(name: "artwork_version", table: "episodes", maxLength: 32, nullable: true);
        migrationBuilder.AddColumn<Guid>(name: "artwork_upload_id", table: "episodes", nullable: true);

        migrationBuilder.CreateIndex(name: "ix_recordings_episode_id_status", table: "recordings", columns: new[] { "episode_id", "status" });
        migrationBuilder.CreateIndex(name: "ix_recordings_workspace_id_finalized_at", table: "recordings", columns: new[] { "workspace_id", "finalized_at" });
        migrationBuilder.CreateIndex(name: "ix_recording_chunks_workspace_id", table: "recording_chunks", column: "workspace_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("recording_chunks");
        migrationBuilder.DropTable("recordings");
        foreach (var column in new[] { "artwork_key", "artwork_content_type", "artwork_version", "artwork_upload_id" })
            migrationBuilder.DropColumn(name: column, table: "episodes");
    }
}

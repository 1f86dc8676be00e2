using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Podcast hosting: shows, episodes, counted downloads and the daily salts that anonymize listeners. Slugs, feed
/// tokens and item guids are unique across the installation (they are public URLs); (episode, day, listener) is
/// unique so a listener counts once a day however many requests their app makes.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206030000_Shows")]
public sealed class Shows : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "shows",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                slug = table.Column<string>(maxLength: 64, nullable: false),
                title = table.Column<string>(maxLength: 255, nullable: false),
                description = table.Column<string>(maxLength: 4000, nullable: false),
                author = table.Column<string>(maxLength: 255, nullable: false),
                owner_name = table.Column<string>(maxLength: 255, nullable: false),
                owner_email = table.Column<string>(maxLength: 320, nullable: false),
                artwork_key = table.Column<string>(maxLength: 500, nullable: true),
                artwork_content_type = table.Column<string>(maxLength: 64, nullable: true),
                artwork_size = table.Column<int>(nullable: true),
                artwork_version = table.Column<string>(maxLength: 32, nullable: true),
                language = table.Column<string>(maxLength: 16, nullable: false),
                category = table.Column<string>(maxLength: 64, nullable: false),
                subcategory = table.Column<string>(maxLength: 64, nullable: true),
                @explicit = table.Column<bool>(nullable: false),
                type = table.Column<int>(nullable: false),
                link = table.Column<string>(maxLength: 2000, nullable: true),
                copyright = table.Column<string>(maxLength: 500, nullable: true),
                podcast_guid = table.Column<Guid>(nullable: false),
                locked = table.Column<bool>(nullable: false),
                funding_url = table.Column<string>(maxLength: 2000, nullable: true),
                funding_text = table.Column<string>(maxLength: 128, nullable: true),
                persons_json = table.Column<string>(nullable: false),
                is_private = table.Column<bool>(nullable: false),
                feed_token = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_shows", x => x.id));

        migrationBuilder.CreateTable(
            name: "episodes",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                show_id = table.Column<Guid>(nullable: false),
                item_guid = table.Column<string>(maxLength: 64, nullable: false),
                title = table.Column<string>(maxLength: 255, nullable: false),
                show_notes = table.Column<string>(nullable: false),
                season = table.Column<int>(nullable: true),
                number = table.Column<int>(nullable: true),
                type = table.Column<int>(nullable: false),
                @explicit = table.Column<bool>(nullable: false),
                status = table.Column<int>(nullable: false),
                publish_at = table.Column<DateTime>(nullable: true),
                published_at = table.Column<DateTime>(nullable: true),
                upload_id = table.Column<Guid>(nullable: true),
                job_id = table.Column<Guid>(nullable: true),
                error = table.Column<string>(maxLength: 1000, nullable: true),
                audio_key = table.Column<string>(maxLength: 500, nullable: true),
                audio_content_type = table.Column<string>(maxLength: 64, nullable: true),
                audio_size = table.Column<long>(nullable: true),
                duration_seconds = table.Column<double>(nullable: true),
                peaks_key = table.Column<string>(maxLength: 500, nullable: true),
                transcript_vtt = table.Column<string>(nullable: true),
                chapters_json = table.Column<string>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_episodes", x => x.id));

        migrationBuilder.CreateTable(
            name: "episode_downloads",
            columns: table => new
            {
                id = table.Column<long>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                workspace_id = table.Column<Guid>(nullable: false),
                show_id = table.Column<Guid>(nullable: false),
                episode_id = table.Column<Guid>(nullable: false),
                day = table.Column<DateTime>(nullable: false),
                listener = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_episode_downloads", x => x.id));

        migrationBuilder.CreateTable(
            name: "download_salts",
            columns: table => new
            {
                day = table.Column<DateTime>(nullable: false),
                salt = table.Column<byte[]>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_download_salts", x => x.day));

        migrationBuilder.CreateIndex(name: "ix_shows_slug", table: "shows", column: "slug", unique: true);
        migrationBuilder.CreateIndex(name: "ix_shows_feed_token", table: "shows", column: "feed_token", unique: true);
        migrationBuilder.CreateIndex(name: "ix_shows_workspace_id_created_at", table: "shows", columns: new[] { "workspace_id", "created_at" });
        migrationBuilder.CreateIndex(name: "ix_episodes_show_id_created_at", table: "episodes", columns: new[] { "show_id", "created_at" });
        migrationBuilder.CreateIndex(name: "ix_episodes_item_guid", table: "episodes", column: "item_guid", unique: true);
        migrationBuilder.CreateIndex(name: "ix_episodes_status_publish_at", table: "episodes", columns: new[] { "status", "publish_at" });
        migrationBuilder.CreateIndex(name: "ix_episodes_job_id", table: "episodes", column: "job_id");
        migrationBuilder.CreateIndex(name: "ix_episode_downloads_episode_id_day_listener", table: "episode_downloads", columns: new[] { "episode_id", "day", "listener" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_episode_downloads_show_id_day", table: "episode_downloads", columns: new[] { "show_id", "day" });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "shows", "episodes", "episode_downloads", "download_salts" })
            migrationBuilder.DropTable(table);
    }
}

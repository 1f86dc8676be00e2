using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>Single-use download links: one row per link, keyed by the token's hash; <c>used_at</c> is set once by a
/// conditional update, which is what makes a link work exactly once.</summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261207030000_SingleUseLinks")]
public sealed class SingleUseLinks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "single_use_links",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                job_id = table.Column<Guid>(nullable: false),
                artifact_id = table.Column<Guid>(nullable: false),
                token_hash = table.Column<string>(maxLength: 64, nullable: false),
                created_by_user_id = table.Column<Guid>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
                used_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_single_use_links", x => x.id));
        migrationBuilder.CreateIndex(name: "ix_single_use_links_token_hash", table: "single_use_links", column: "token_hash", unique: true);
        migrationBuilder.CreateIndex(name: "ix_single_use_links_artifact_id", table: "single_use_links", column: "artifact_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropTable(name: "single_use_links");
}

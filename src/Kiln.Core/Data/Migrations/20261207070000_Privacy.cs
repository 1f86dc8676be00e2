using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Per-member privacy (a workspace flag; who wrote a note; when a job, an upload or a note was shared with the workspace)
/// account deletion with a grace period (when it was asked for and when it runs), and data exports (art. 15/20).
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261207070000_Privacy")]
public sealed class Privacy : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<bool>(name: "member_privacy", table: "workspaces", nullable: false, defaultValue: false);
        migrationBuilder.AddColumn<DateTime>(name: "shared_at", table: "jobs", nullable: true);
        migrationBuilder.AddColumn<DateTime>(name: "shared_at", table: "uploads", nullable: true);
        migrationBuilder.AddColumn<DateTime>(name: "shared_at", table: "notes", nullable: true);
        migrationBuilder.AddColumn<Guid>(name: "created_by_user_id", table: "notes", nullable: true);
        migrationBuilder.AddColumn<DateTime>(name: "deletion_requested_at", table: "users", nullable: true);
        migrationBuilder.AddColumn<DateTime>(name: "deletion_due_at", table: "users", nullable: true);
        // The deletion loop finds due accounts without scanning every user.
        migrationBuilder.CreateIndex(name: "ix_users_deletion_due_at", table: "users", column: "deletion_due_at");

        migrationBuilder.CreateTable(
            name: "data_exports",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                status = table.Column<int>(nullable: false),
                blob_key = table.Column<string>(maxLength: 300, nullable: true),
                size = table.Column<long>(nullable: true),
                error = table.Column<string>(maxLength: 500, nullable: true),
                requested_at = table.Column<DateTime>(nullable: false),
                finished_at = table.Column<DateTime>(nullable: true),
                expires_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_data_exports", x => x.id));
        migrationBuilder.CreateIndex(name: "ix_data_exports_user_id_requested_at", table: "data_exports", columns: ["user_id", "requested_at"]);
        migrationBuilder.CreateIndex(name: "ix_data_exports_status", table: "data_exports", column: "status");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "data_exports");
        migrationBuilder.DropIndex(name: "ix_users_deletion_due_at", table: "users");
        migrationBuilder.DropColumn(name: "deletion_due_at", table: "users");
        migrationBuilder.DropColumn(name: "deletion_requested_at", table: "users");
        migrationBuilder.DropColumn(name: "created_by_user_id", table: "notes");
        migrationBuilder.DropColumn(name: "shared_at", table: "notes");
        migrationBuilder.DropColumn(name: "shared_at", table: "uploads");
        migrationBuilder.DropColumn(name: "shared_at", table: "jobs");
        migrationBuilder.DropColumn(name: "member_privacy", table: "workspaces");
    }
}

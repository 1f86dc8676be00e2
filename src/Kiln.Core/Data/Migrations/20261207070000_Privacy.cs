using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Per-member privacy (a workspace flag; who wrote a note; when a job, an upload or a note was shared with the workspace)
/// and account deletion with a grace period (when it was asked for and when it runs).
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
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
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

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>Job subtasks: parts of one job (dubbing's languages) with their own stage, progress, cost and result. The
/// unique (job_id, key) index keeps one row per part however many attempts report it.</summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206040000_Subtasks")]
public sealed class Subtasks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "job_subtasks",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                job_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                key = table.Column<string>(maxLength: 32, nullable: false),
                label = table.Column<string>(maxLength: 100, nullable: false),
                ordinal = table.Column<int>(nullable: false),
                stage = table.Column<string>(maxLength: 32, nullable: false),
                progress = table.Column<int>(nullable: false),
                cost = table.Column<long>(nullable: false),
                error = table.Column<string>(maxLength: 1000, nullable: true),
                artifacts_json = table.Column<string>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
                started_at = table.Column<DateTime>(nullable: true),
                finished_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_job_subtasks", x => x.id);
            });
        migrationBuilder.CreateIndex(name: "ix_job_subtasks_job_id_key", table: "job_subtasks", columns: new[] { "job_id", "key" }, unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropTable(name: "job_subtasks");
}

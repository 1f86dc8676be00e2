using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// A per-workspace running-jobs counter: PostgreSQL claims admit jobs against the workspace cap through it, so
/// concurrent claimers cannot overshoot the cap (counting running jobs in each claim's snapshot could). Seeded with
/// the jobs running now, so a rolling upgrade starts from the true count.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261122030000_RunningCounter")]
public sealed class RunningCounter : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "workspace_running_jobs",
            columns: table => new
            {
                workspace_id = table.Column<Guid>(nullable: false),
                running = table.Column<int>(nullable: false),
                last_grant = table.Column<int>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_workspace_running_jobs", x => x.workspace_id);
            });
        migrationBuilder.Sql("""
            INSERT INTO workspace_running_jobs (workspace_id, running, last_grant)
            SELECT workspace_id, count(*), 0 FROM jobs WHERE status = 1 GROUP BY workspace_id
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropTable(name: "workspace_running_jobs");
}

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Fair claims across workspaces: a partial index over queued jobs by workspace, then each workspace's own order
/// (priority, age). The claim finds the workspaces with queued jobs by a loose scan of it (one probe per workspace)
/// and each open workspace's next jobs by a short range scan, whatever the depth of any one backlog.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206080000_FairClaim")]
public sealed class FairClaim : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateIndex(name: "ix_jobs_queued_workspace", table: "jobs", columns: ["workspace_id", "priority", "run_after", "id"],
            descending: [false, true, false, false], filter: "status = 0");

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropIndex(name: "ix_jobs_queued_workspace", table: "jobs");
}

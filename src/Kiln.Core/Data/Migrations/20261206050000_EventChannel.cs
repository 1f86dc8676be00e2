using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// The live channel: a workspace's job events in id order, which <c>GET /api/events</c> reads a range of per wake-up.
/// (The notices themselves are sent by the application after commit, not by triggers: a NOTIFY inside the writing
/// transaction would cost every job event its group commit — see Jobs/Events/PostgresEventNotifier.)
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206050000_EventChannel")]
public sealed class EventChannel : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateIndex(name: "ix_job_events_workspace_id_id", table: "job_events", columns: ["workspace_id", "id"]);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropIndex(name: "ix_job_events_workspace_id_id", table: "job_events");
}

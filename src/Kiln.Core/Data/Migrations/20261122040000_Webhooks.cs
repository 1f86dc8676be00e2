using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Outbound webhooks: endpoints, deliveries and the fan-out cursor over the job event log. The unique
/// (endpoint_id, event_key) index is what makes the fan-out happen once per endpoint however many workers scan.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261122040000_Webhooks")]
public sealed class Webhooks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "webhook_endpoints",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                url = table.Column<string>(maxLength: 2000, nullable: false),
                description = table.Column<string>(maxLength: 500, nullable: true),
                secret = table.Column<string>(maxLength: 200, nullable: false),
                event_types = table.Column<string>(maxLength: 500, nullable: false),
                enabled = table.Column<bool>(nullable: false),
                disabled_reason = table.Column<string>(maxLength: 500, nullable: true),
                failing_since = table.Column<DateTime>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_webhook_endpoints", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "webhook_deliveries",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                endpoint_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                event_type = table.Column<string>(maxLength: 64, nullable: false),
                event_key = table.Column<string>(maxLength: 200, nullable: false),
                message_id = table.Column<string>(maxLength: 64, nullable: false),
                payload = table.Column<string>(nullable: false),
                job_id = table.Column<Guid>(nullable: true),
                status = table.Column<int>(nullable: false),
                attempts = table.Column<int>(nullable: false),
                next_attempt_at = table.Column<DateTime>(nullable: false),
                locked_until = table.Column<DateTime>(nullable: true),
                last_status_code = table.Column<int>(nullable: true),
                last_error = table.Column<string>(maxLength: 1000, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                last_attempt_at = table.Column<DateTime>(nullable: true),
                delivered_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_webhook_deliveries", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "webhook_cursors",
            columns: table => new
            {
                name = table.Column<string>(maxLength: 64, nullable: false),
                position = table.Column<long>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_webhook_cursors", x => x.name);
            });

        migrationBuilder.CreateIndex(name: "ix_webhook_endpoints_workspace_id_created_at", table: "webhook_endpoints", columns: new[] { "workspace_id", "created_at" });
        migrationBuilder.CreateIndex(name: "ix_webhook_deliveries_endpoint_id_event_key", table: "webhook_deliveries", columns: new[] { "endpoint_id", "event_key" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_webhook_deliveries_endpoint_id_created_at", table: "webhook_deliveries", columns: new[] { "endpoint_id", "created_at" });
        migrationBuilder.CreateIndex(name: "ix_webhook_deliveries_status_next_attempt_at", table: "webhook_deliveries", columns: new[] { "status", "next_attempt_at" });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "webhook_endpoints", "webhook_deliveries", "webhook_cursors" })
        {
            migrationBuilder.DropTable(table);
        }
    }
}

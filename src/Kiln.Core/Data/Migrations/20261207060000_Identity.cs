using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Identity, part B: the audit log, and room for webhook secrets encrypted with Data Protection (a protected payload is
/// longer than the plaintext secret; existing plaintext rows are encrypted by <c>WebhookSecretMigration</c> at startup).
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261207060000_Identity")]
public sealed class Identity : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "audit_events",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                at = table.Column<DateTime>(nullable: false),
                action = table.Column<string>(maxLength: 64, nullable: false),
                actor_user_id = table.Column<Guid>(nullable: true),
                workspace_id = table.Column<Guid>(nullable: true),
                target = table.Column<string>(maxLength: 320, nullable: true),
                ip = table.Column<string>(maxLength: 64, nullable: true),
                user_agent = table.Column<string>(maxLength: 300, nullable: true),
                details = table.Column<string>(maxLength: 2000, nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_audit_events", x => x.id));
        migrationBuilder.CreateIndex(name: "ix_audit_events_workspace_id_at", table: "audit_events", columns: new[] { "workspace_id", "at" });
        migrationBuilder.CreateIndex(name: "ix_audit_events_at", table: "audit_events", column: "at");
        migrationBuilder.CreateIndex(name: "ix_audit_events_actor_user_id_at", table: "audit_events", columns: new[] { "actor_user_id", "at" });

        // SQLite stores TEXT of any length (and cannot alter a column without a rebuild): only PostgreSQL's varchar grows.
        if (ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
            migrationBuilder.AlterColumn<string>(name: "secret", table: "webhook_endpoints", maxLength: 1000, nullable: false,
                oldClrType: typeof(string), oldMaxLength: 200, oldNullable: false);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "audit_events");
        if (ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
            migrationBuilder.AlterColumn<string>(name: "secret", table: "webhook_endpoints", maxLength: 200, nullable: false,
                oldClrType: typeof(string), oldMaxLength: 1000, oldNullable: false);
    }
}

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// The holes an outside probe found: sessions with rotating, hashed refresh tokens; database-counted rate limits that
/// hold across web processes; workspace invitations (nobody is added without consent); the SHA-256 of each validated
/// upload (checked at job start); the request hash stored beside a job's idempotency key.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206010000_Sessions")]
public sealed class Sessions : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "user_sessions",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                last_used_at = table.Column<DateTime>(nullable: false),
                revoked_at = table.Column<DateTime>(nullable: true),
                revoke_reason = table.Column<string>(maxLength: 64, nullable: true),
                user_agent = table.Column<string>(maxLength: 300, nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_user_sessions", x => x.id));

        migrationBuilder.CreateTable(
            name: "refresh_tokens",
            columns: table => new
            {
                hash = table.Column<string>(maxLength: 64, nullable: false),
                session_id = table.Column<Guid>(nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
                used_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_refresh_tokens", x => x.hash));

        migrationBuilder.CreateTable(
            name: "rate_limit_counters",
            columns: table => new
            {
                key = table.Column<string>(maxLength: 200, nullable: false),
                window_start = table.Column<long>(nullable: false),
                count = table.Column<int>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_rate_limit_counters", x => new { x.key, x.window_start }));

        migrationBuilder.CreateTable(
            name: "workspace_invitations",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                email = table.Column<string>(maxLength: 254, nullable: false),
                normalized_email = table.Column<string>(maxLength: 254, nullable: false),
                role = table.Column<int>(nullable: false),
                token_hash = table.Column<string>(maxLength: 64, nullable: false),
                invited_by_user_id = table.Column<Guid>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
                accepted_at = table.Column<DateTime>(nullable: true),
                declined_at = table.Column<DateTime>(nullable: true),
                revoked_at = table.Column<DateTime>(nullable: true),
                accepted_by_user_id = table.Column<Guid>(nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_workspace_invitations", x => x.id));

        migrationBuilder.AddColumn<string>(name: "sha256", table: "uploads", maxLength: 64, nullable: true);
        migrationBuilder.AddColumn<string>(name: "request_hash", table: "jobs", maxLength: 64, nullable: true);

        migrationBuilder.CreateIndex(name: "ix_user_sessions_user_id", table: "user_sessions", column: "user_id");
        migrationBuilder.CreateIndex(name: "ix_refresh_tokens_session_id", table: "refresh_tokens", column: "session_id");
        migrationBuilder.CreateIndex(name: "ix_rate_limit_counters_window_start", table: "rate_limit_counters", column: "window_start");
        migrationBuilder.CreateIndex(name: "ix_workspace_invitations_token_hash", table: "workspace_invitations", column: "token_hash", unique: true);
        migrationBuilder.CreateIndex(name: "ix_workspace_invitations_workspace_id_normalized_email", table: "workspace_invitations", columns: new[] { "workspace_id", "normalized_email" });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "user_sessions");
        migrationBuilder.DropTable(name: "refresh_tokens");
        migrationBuilder.DropTable(name: "rate_limit_counters");
        migrationBuilder.DropTable(name: "workspace_invitations");
        migrationBuilder.DropColumn(name: "sha256", table: "uploads");
        migrationBuilder.DropColumn(name: "request_hash", table: "jobs");
    }
}

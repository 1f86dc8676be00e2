using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Email and account security: the email outbox, the single-use tokens of emailed links (verification, password reset,
/// email change), per-user notification preferences, hashed two-factor recovery codes, and a workspace's "members must
/// use two-factor sign-in" switch.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261207050000_Email")]
public sealed class Email : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "email_outbox",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                kind = table.Column<string>(maxLength: 64, nullable: false),
                user_id = table.Column<Guid>(nullable: true),
                to_address = table.Column<string>(maxLength: 254, nullable: false),
                subject = table.Column<string>(maxLength: 300, nullable: false),
                text_body = table.Column<string>(nullable: false),
                html_body = table.Column<string>(nullable: false),
                status = table.Column<int>(nullable: false),
                attempts = table.Column<int>(nullable: false),
                next_attempt_at = table.Column<DateTime>(nullable: false),
                locked_until = table.Column<DateTime>(nullable: true),
                claim_token = table.Column<Guid>(nullable: true),
                last_error = table.Column<string>(maxLength: 1000, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                sent_at = table.Column<DateTime>(nullable: true),
                dedup_key = table.Column<string>(maxLength: 200, nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_email_outbox", x => x.id));

        migrationBuilder.CreateTable(
            name: "account_tokens",
            columns: table => new
            {
                hash = table.Column<string>(maxLength: 64, nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                purpose = table.Column<string>(maxLength: 32, nullable: false),
                new_email = table.Column<string>(maxLength: 254, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false),
                used_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_account_tokens", x => x.hash));

        migrationBuilder.CreateTable(
            name: "notification_preferences",
            columns: table => new
            {
                user_id = table.Column<Guid>(nullable: false),
                job_finished = table.Column<bool>(nullable: false),
                job_failed = table.Column<bool>(nullable: false),
                credits_low = table.Column<bool>(nullable: false),
                payment_receipt = table.Column<bool>(nullable: false),
                invitation = table.Column<bool>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table => table.PrimaryKey("pk_notification_preferences", x => x.user_id));

        migrationBuilder.CreateTable(
            name: "two_factor_recovery_codes",
            columns: table => new
            {
                user_id = table.Column<Guid>(nullable: false),
                hash = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                used_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table => table.PrimaryKey("pk_two_factor_recovery_codes", x => new { x.user_id, x.hash }));

        migrationBuilder.AddColumn<bool>(name: "require_two_factor", table: "workspaces", nullable: false, defaultValue: false);

        migrationBuilder.CreateIndex(name: "ix_email_outbox_status_next_attempt_at", table: "email_outbox", columns: new[] { "status", "next_attempt_at" });
        migrationBuilder.CreateIndex(name: "ix_email_outbox_created_at", table: "email_outbox", column: "created_at");
        migrationBuilder.CreateIndex(name: "ix_email_outbox_dedup_key", table: "email_outbox", column: "dedup_key", unique: true);
        migrationBuilder.CreateIndex(name: "ix_account_tokens_user_id", table: "account_tokens", column: "user_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "email_outbox");
        migrationBuilder.DropTable(name: "account_tokens");
        migrationBuilder.DropTable(name: "notification_preferences");
        migrationBuilder.DropTable(name: "two_factor_recovery_codes");
        migrationBuilder.DropColumn(name: "require_two_factor", table: "workspaces");
    }
}

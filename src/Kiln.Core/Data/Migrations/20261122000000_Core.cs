using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// The platform core: identity, workspaces, API keys, the credits ledger, jobs and their events, artifacts,
/// uploads and worker heartbeats. Hand-written (dotnet ef is not available): column types are inferred by each
/// provider from the CLR types, and MigrationsSchemaTests proves the result equals the model on both providers.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261122000000_Core")]
public sealed class Core : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "api_keys",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 200, nullable: false),
                prefix = table.Column<string>(maxLength: 32, nullable: false),
                hash = table.Column<string>(maxLength: 128, nullable: false),
                created_by_user_id = table.Column<Guid>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                last_used_at = table.Column<DateTime>(nullable: true),
                revoked_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_api_keys", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "artifacts",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                job_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 300, nullable: false),
                content_type = table.Column<string>(maxLength: 200, nullable: false),
                size = table.Column<long>(nullable: false),
                blob_key = table.Column<string>(maxLength: 600, nullable: false),
                sha256 = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_artifacts", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "credit_accounts",
            columns: table => new
            {
                workspace_id = table.Column<Guid>(nullable: false),
                posted = table.Column<long>(nullable: false),
                held = table.Column<long>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_credit_accounts", x => x.workspace_id);
                table.CheckConstraint("ck_credit_accounts_no_overdraw", "held >= 0 AND posted >= held");
            });

        migrationBuilder.CreateTable(
            name: "credit_holds",
            columns: table => new
            {
                job_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                amount = table.Column<long>(nullable: false),
                status = table.Column<int>(nullable: false),
                captured = table.Column<long>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                resolved_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_credit_holds", x => x.job_id);
            });

        migrationBuilder.CreateTable(
            name: "job_events",
            columns: table => new
            {
                id = table.Column<long>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                job_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                type = table.Column<string>(maxLength: 32, nullable: false),
                data_json = table.Column<string>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_job_events", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "jobs",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                created_by_user_id = table.Column<Guid>(nullable: true),
                pipeline_id = table.Column<string>(maxLength: 64, nullable: false),
                options_json = table.Column<string>(nullable: false),
                inputs_json = table.Column<string>(nullable: false),
                status = table.Column<int>(nullable: false),
                priority = table.Column<int>(nullable: false),
                attempt = table.Column<int>(nullable: false),
                max_attempts = table.Column<int>(nullable: false),
                lease_token = table.Column<Guid>(nullable: true),
                lease_expires_at = table.Column<DateTime>(nullable: true),
                worker_id = table.Column<string>(maxLength: 200, nullable: true),
                run_after = table.Column<DateTime>(nullable: false),
                timeout_seconds = table.Column<int>(nullable: false),
                cancel_requested = table.Column<bool>(nullable: false),
                progress_percent = table.Column<int>(nullable: false),
                progress_step = table.Column<string>(maxLength: 100, nullable: true),
                progress_message = table.Column<string>(maxLength: 1000, nullable: true),
                cost_estimate = table.Column<long>(nullable: false),
                cost_actual = table.Column<long>(nullable: true),
                error_code = table.Column<string>(maxLength: 100, nullable: true),
                error_message = table.Column<string>(maxLength: 2000, nullable: true),
                idempotency_key = table.Column<string>(maxLength: 200, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                started_at = table.Column<DateTime>(nullable: true),
                finished_at = table.Column<DateTime>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_jobs", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "ledger_entries",
            columns: table => new
            {
                id = table.Column<long>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                workspace_id = table.Column<Guid>(nullable: false),
                kind = table.Column<int>(nullable: false),
                posted_delta = table.Column<long>(nullable: false),
                held_delta = table.Column<long>(nullable: false),
                idempotency_key = table.Column<string>(maxLength: 200, nullable: false),
                job_id = table.Column<Guid>(nullable: true),
                reason = table.Column<string>(maxLength: 500, nullable: true),
                actor_user_id = table.Column<Guid>(nullable: true),
                posted_after = table.Column<long>(nullable: false),
                held_after = table.Column<long>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_ledger_entries", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "roles",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 256, nullable: true),
                normalized_name = table.Column<string>(maxLength: 256, nullable: true),
                concurrency_stamp = table.Column<string>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_roles", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "uploads",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                created_by_user_id = table.Column<Guid>(nullable: true),
                file_name = table.Column<string>(maxLength: 300, nullable: false),
                declared_content_type = table.Column<string>(maxLength: 200, nullable: true),
                kind = table.Column<string>(maxLength: 32, nullable: true),
                content_type = table.Column<string>(maxLength: 200, nullable: true),
                declared_size = table.Column<long>(nullable: false),
                size = table.Column<long>(nullable: true),
                blob_key = table.Column<string>(maxLength: 600, nullable: false),
                multipart_id = table.Column<string>(maxLength: 300, nullable: true),
                status = table.Column<int>(nullable: false),
                metadata_json = table.Column<string>(nullable: true),
                reject_code = table.Column<string>(maxLength: 100, nullable: true),
                reject_message = table.Column<string>(maxLength: 1000, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                expires_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_uploads", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "users",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                display_name = table.Column<string>(nullable: true),
                is_admin = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                current_workspace_id = table.Column<Guid>(nullable: true),
                user_name = table.Column<string>(maxLength: 256, nullable: true),
                normalized_user_name = table.Column<string>(maxLength: 256, nullable: true),
                email = table.Column<string>(maxLength: 256, nullable: true),
                normalized_email = table.Column<string>(maxLength: 256, nullable: true),
                email_confirmed = table.Column<bool>(nullable: false),
                password_hash = table.Column<string>(nullable: true),
                security_stamp = table.Column<string>(nullable: true),
                concurrency_stamp = table.Column<string>(nullable: true),
                phone_number = table.Column<string>(nullable: true),
                phone_number_confirmed = table.Column<bool>(nullable: false),
                two_factor_enabled = table.Column<bool>(nullable: false),
                lockout_end = table.Column<DateTimeOffset>(nullable: true),
                lockout_enabled = table.Column<bool>(nullable: false),
                access_failed_count = table.Column<int>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_users", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "worker_heartbeats",
            columns: table => new
            {
                worker_id = table.Column<string>(maxLength: 200, nullable: false),
                host = table.Column<string>(maxLength: 200, nullable: false),
                running = table.Column<int>(nullable: false),
                capacity = table.Column<int>(nullable: false),
                started_at = table.Column<DateTime>(nullable: false),
                last_seen_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_worker_heartbeats", x => x.worker_id);
            });

        migrationBuilder.CreateTable(
            name: "workspace_members",
            columns: table => new
            {
                workspace_id = table.Column<Guid>(nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                role = table.Column<int>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_workspace_members", x => new { x.workspace_id, x.user_id });
            });

        migrationBuilder.CreateTable(
            name: "workspaces",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 200, nullable: false),
                is_personal = table.Column<bool>(nullable: false),
                max_concurrent_jobs = table.Column<int>(nullable: true),
                plan = table.Column<string>(maxLength: 64, nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_workspaces", x => x.id);
            });

        migrationBuilder.CreateTable(
            name: "role_claims",
            columns: table => new
            {
                id = table.Column<int>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                role_id = table.Column<Guid>(nullable: false),
                claim_type = table.Column<string>(nullable: true),
                claim_value = table.Column<string>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_role_claims", x => x.id);
                table.ForeignKey(name: "fk_role_claims_roles_role_id", column: x => x.role_id, principalTable: "roles", principalColumn: "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "user_claims",
            columns: table => new
            {
                id = table.Column<int>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                user_id = table.Column<Guid>(nullable: false),
                claim_type = table.Column<string>(nullable: true),
                claim_value = table.Column<string>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_user_claims", x => x.id);
                table.ForeignKey(name: "fk_user_claims_users_user_id", column: x => x.user_id, principalTable: "users", principalColumn: "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "user_logins",
            columns: table => new
            {
                login_provider = table.Column<string>(nullable: false),
                provider_key = table.Column<string>(nullable: false),
                provider_display_name = table.Column<string>(nullable: true),
                user_id = table.Column<Guid>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_user_logins", x => new { x.login_provider, x.provider_key });
                table.ForeignKey(name: "fk_user_logins_users_user_id", column: x => x.user_id, principalTable: "users", principalColumn: "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "user_roles",
            columns: table => new
            {
                user_id = table.Column<Guid>(nullable: false),
                role_id = table.Column<Guid>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_user_roles", x => new { x.user_id, x.role_id });
                table.ForeignKey(name: "fk_user_roles_roles_role_id", column: x => x.role_id, principalTable: "roles", principalColumn: "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey(name: "fk_user_roles_users_user_id", column: x => x.user_id, principalTable: "users", principalColumn: "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "user_tokens",
            columns: table => new
            {
                user_id = table.Column<Guid>(nullable: false),
                login_provider = table.Column<string>(nullable: false),
                name = table.Column<string>(nullable: false),
                value = table.Column<string>(nullable: true)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_user_tokens", x => new { x.user_id, x.login_provider, x.name });
                table.ForeignKey(name: "fk_user_tokens_users_user_id", column: x => x.user_id, principalTable: "users", principalColumn: "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateIndex(name: "ix_api_keys_hash", table: "api_keys", column: "hash", unique: true);

        migrationBuilder.CreateIndex(name: "ix_api_keys_workspace_id", table: "api_keys", column: "workspace_id");

        migrationBuilder.CreateIndex(name: "ix_artifacts_job_id_name", table: "artifacts", columns: new[] { "job_id", "name" }, unique: true);

        migrationBuilder.CreateIndex(name: "ix_credit_holds_workspace_id_status", table: "credit_holds", columns: new[] { "workspace_id", "status" });

        migrationBuilder.CreateIndex(name: "ix_job_events_job_id_id", table: "job_events", columns: new[] { "job_id", "id" });

        migrationBuilder.CreateIndex(name: "ix_jobs_status_lease_expires_at", table: "jobs", columns: new[] { "status", "lease_expires_at" });

        migrationBuilder.CreateIndex(name: "ix_jobs_status_run_after", table: "jobs", columns: new[] { "status", "run_after" });

        migrationBuilder.CreateIndex(name: "ix_jobs_workspace_id_created_at", table: "jobs", columns: new[] { "workspace_id", "created_at" });

        migrationBuilder.CreateIndex(name: "ix_jobs_workspace_id_idempotency_key", table: "jobs", columns: new[] { "workspace_id", "idempotency_key" }, unique: true);

        migrationBuilder.CreateIndex(name: "ix_ledger_entries_idempotency_key", table: "ledger_entries", column: "idempotency_key", unique: true);

        migrationBuilder.CreateIndex(name: "ix_ledger_entries_workspace_id_id", table: "ledger_entries", columns: new[] { "workspace_id", "id" });

        migrationBuilder.CreateIndex(name: "ix_role_claims_role_id", table: "role_claims", column: "role_id");

        migrationBuilder.CreateIndex(name: "role_name_index", table: "roles", column: "normalized_name", unique: true);

        migrationBuilder.CreateIndex(name: "ix_uploads_status_expires_at", table: "uploads", columns: new[] { "status", "expires_at" });

        migrationBuilder.CreateIndex(name: "ix_uploads_workspace_id_created_at", table: "uploads", columns: new[] { "workspace_id", "created_at" });

        migrationBuilder.CreateIndex(name: "ix_user_claims_user_id", table: "user_claims", column: "user_id");

        migrationBuilder.CreateIndex(name: "ix_user_logins_user_id", table: "user_logins", column: "user_id");

        migrationBuilder.CreateIndex(name: "ix_user_roles_role_id", table: "user_roles", column: "role_id");

        migrationBuilder.CreateIndex(name: "email_index", table: "users", column: "normalized_email");

        migrationBuilder.CreateIndex(name: "user_name_index", table: "users", column: "normalized_user_name", unique: true);

        migrationBuilder.CreateIndex(name: "ix_workspace_members_user_id", table: "workspace_members", column: "user_id");

    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[]
        {
            "role_claims", "user_claims", "user_logins", "user_roles", "user_tokens", "roles", "users",
            "api_keys", "artifacts", "credit_accounts", "credit_holds", "job_events", "jobs", "ledger_entries",
            "uploads", "worker_heartbeats", "workspace_members", "workspaces",
        })
        {
        migrationBuilder.DropTable(table);
        }
    }
}

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>AI usage per job attempt and provider model (calls, tokens, estimated provider cost in millionths), for the
/// admin job view and the per-provider totals. The unique index keeps one row per attempt and model.</summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261207010000_AiUsage")]
public sealed class AiUsage : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "job_ai_usage",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                job_id = table.Column<Guid>(nullable: false),
                workspace_id = table.Column<Guid>(nullable: false),
                attempt = table.Column<int>(nullable: false),
                provider = table.Column<string>(maxLength: 100, nullable: false),
                model = table.Column<string>(maxLength: 200, nullable: false),
                calls = table.Column<int>(nullable: false),
                cached_calls = table.Column<int>(nullable: false),
                input_tokens = table.Column<long>(nullable: false),
                output_tokens = table.Column<long>(nullable: false),
                estimated_cost_micros = table.Column<long>(nullable: false),
                cost_incomplete = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false)
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_job_ai_usage", x => x.id);
            });
        migrationBuilder.CreateIndex(name: "ix_job_ai_usage_job_id_attempt_provider_model", table: "job_ai_usage",
            columns: new[] { "job_id", "attempt", "provider", "model" }, unique: true);
        migrationBuilder.CreateIndex(name: "ix_job_ai_usage_created_at", table: "job_ai_usage", column: "created_at");
    }

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropTable(name: "job_ai_usage");
}

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// The ASP.NET Core Data Protection key ring in the database, so every web process (and every restart) protects and
/// unprotects cookies, bearer and refresh tokens and antiforgery tokens with the same keys. Also a small partial index
/// the <c>kiln_jobs</c> gauge counts from (queued and running jobs by pipeline), so a scrape never scans finished jobs,
/// and the W3C <c>traceparent</c> of the request that created each job.
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206020000_DataProtectionKeys")]
public sealed class DataProtectionKeys : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "data_protection_keys",
            columns: table => new
            {
                id = table.Column<int>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                friendly_name = table.Column<string>(nullable: true),
                xml = table.Column<string>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_data_protection_keys", x => x.id));

        migrationBuilder.CreateIndex(name: "ix_jobs_active_pipeline", table: "jobs", columns: ["status", "pipeline_id"], filter: "status < 2");
        migrationBuilder.AddColumn<string>(name: "trace_parent", table: "jobs", maxLength: 64, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "trace_parent", table: "jobs");
        migrationBuilder.DropIndex(name: "ix_jobs_active_pipeline", table: "jobs");
        migrationBuilder.DropTable(name: "data_protection_keys");
    }
}

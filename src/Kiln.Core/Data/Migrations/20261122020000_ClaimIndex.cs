using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>A partial index in claim order over queued jobs: claims stay a short index scan at any queue depth.</summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261122020000_ClaimIndex")]
public sealed class ClaimIndex : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateIndex(name: "ix_jobs_queued_priority", table: "jobs", columns: ["priority", "run_after", "id"],
            descending: [true, false, false], filter: "status = 0");

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropIndex(name: "ix_jobs_queued_priority", table: "jobs");
}

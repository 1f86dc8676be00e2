using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>Workers advertise the pipelines they can run (their tools are present), so a job no live worker can run
/// says what it is waiting for.</summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261205000000_WorkerPipelines")]
public sealed class WorkerPipelines : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<string>(name: "pipelines", table: "worker_heartbeats", nullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn(name: "pipelines", table: "worker_heartbeats");
}

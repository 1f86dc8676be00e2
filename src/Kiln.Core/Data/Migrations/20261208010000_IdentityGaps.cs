using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// Browser sign-ins get session rows like apps do: a session says which kind it is and the network it signed in from
/// (truncated like the audit log's). Existing rows are all app sessions (refresh-token families).
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261208010000_IdentityGaps")]
public sealed class IdentityGaps : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "kind", table: "user_sessions", maxLength: 16, nullable: false, defaultValue: "api");
        migrationBuilder.AddColumn<string>(name: "ip_network", table: "user_sessions", maxLength: 64, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "ip_network", table: "user_sessions");
        migrationBuilder.DropColumn(name: "kind", table: "user_sessions");
    }
}

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Core.Data.Migrations;

/// <summary>
/// The live channel. An index for a workspace's events in id order (<c>GET /api/events</c> reads a range of it per
/// wake-up), and on PostgreSQL two statement-level triggers that NOTIFY <c>kiln_events</c> whenever job events or ledger
/// entries are inserted — by EF, by the queue's batched SQL, by any process — one notice per (workspace, job) or per
/// workspace's credits and statement, delivered by PostgreSQL at commit (never for a rolled-back write).
/// Payloads: "&lt;workspace&gt;:&lt;job&gt;:&lt;highest event id&gt;" and "&lt;workspace&gt;:credits:&lt;highest entry id&gt;".
/// </summary>
[DbContext(typeof(KilnDbContext))]
[Migration("20261206050000_EventChannel")]
public sealed class EventChannel : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateIndex(name: "ix_job_events_workspace_id_id", table: "job_events", columns: ["workspace_id", "id"]);
        if (ActiveProvider != "Npgsql.EntityFrameworkCore.PostgreSQL") return;
        migrationBuilder.Sql("""
            CREATE FUNCTION kiln_notify_job_events() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('kiln_events', n.workspace_id::text || ':' || n.job_id::text || ':' || max(n.id)::text)
                FROM new_rows n GROUP BY n.workspace_id, n.job_id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER job_events_notify AFTER INSERT ON job_events
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kiln_notify_job_events();

            CREATE FUNCTION kiln_notify_ledger_entries() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('kiln_events', n.workspace_id::text || ':credits:' || max(n.id)::text)
                FROM new_rows n GROUP BY n.workspace_id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER ledger_entries_notify AFTER INSERT ON ledger_entries
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kiln_notify_ledger_entries();
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        if (ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL")
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS ledger_entries_notify ON ledger_entries;
                DROP FUNCTION IF EXISTS kiln_notify_ledger_entries();
                DROP TRIGGER IF EXISTS job_events_notify ON job_events;
                DROP FUNCTION IF EXISTS kiln_notify_job_events();
                """);
        }
        migrationBuilder.DropIndex(name: "ix_job_events_workspace_id_id", table: "job_events");
    }
}

using System.Data.Common;
using Kiln.Core.Data;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Data;

/// <summary>
/// The hand-written migrations must build exactly the schema the EF model describes: one database is built by
/// Migrate(), another by EnsureCreated() (straight from the model), and their catalogs are compared.
/// </summary>
public sealed class MigrationsSchemaTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Migrated_schema_equals_the_model(string provider)
    {
        var migratedDb = await Providers.NewDatabase(provider, pg);
        var modelDb = await Providers.NewDatabase(provider, pg);
        await using var migrated = DataRegistrations.CreateContext(migratedDb);
        await using var model = DataRegistrations.CreateContext(modelDb);
        await migrated.Database.MigrateAsync();
        await model.Database.EnsureCreatedAsync();

        var expected = await Describe(model);
        var actual = await Describe(migrated);
        expected.Count.ShouldBeGreaterThan(50);
        actual.Except(expected).ShouldBeEmpty("in the migrations but not in the model");
        expected.Except(actual).ShouldBeEmpty("in the model but not in the migrations");
        (await migrated.Database.GetPendingMigrationsAsync()).ShouldBeEmpty();
    }

    private static async Task<List<string>> Describe(KilnDbContext db)
    {
        var sql = db.IsPostgres
            ? """
              SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
                     || CASE WHEN is_nullable = 'YES' THEN ' null' ELSE ' not null' END || CASE WHEN is_identity = 'YES' THEN ' identity' ELSE '' END
              FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__kiln_migrations'
              UNION ALL
              SELECT 'index ' || tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '__kiln_migrations'
              UNION ALL
              SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '__kiln_migrations'
              """
            : """
              SELECT 'column ' || m.name || '.' || p.name || ' ' || p.type || CASE WHEN p."notnull" THEN ' not null' ELSE ' null' END || ' pk' || p.pk
              FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE '\_\_%' ESCAPE '\' AND m.name <> 'sqlite_sequence'
              UNION ALL
              SELECT 'index ' || m.tbl_name || ' ' || m.name || ' ' || coalesce(m.sql, '') FROM sqlite_master m
              WHERE m.type = 'index' AND m.tbl_name NOT LIKE '\_\_%' ESCAPE '\'
              UNION ALL
              SELECT 'fk ' || m.name || ' ' || f."from" || '->' || f."table" || '.' || f."to" || ' ' || f.on_delete
              FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'
              UNION ALL
              SELECT 'check ' || m.name || ' ' || substr(m.sql, instr(m.sql, 'CHECK')) FROM sqlite_master m
              WHERE m.type = 'table' AND m.sql LIKE '%CHECK%'
              """;
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync();
        await using DbCommand cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        var rows = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0).Replace("CREATE UNIQUE INDEX", "UNIQUE").Replace("CREATE INDEX", "INDEX"));
        // Full-text search (an FTS5 table on SQLite, an expression index on PostgreSQL) is provider SQL the model does not describe.
        rows.RemoveAll(r => r.Contains("notes_search", StringComparison.Ordinal));
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}

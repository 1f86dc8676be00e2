using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Data;

public static class DataRegistrations
{
    public static IServiceCollection AddKilnData(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<DatabaseOptions>(configuration.GetSection("Kiln:Database"));
        services.AddScoped<TenantScope>();
        services.AddScoped<ITenantScope>(sp => sp.GetRequiredService<TenantScope>());
        // The options are built once per container, not once per request: building them (connection string parsing,
        // the SQLite directory check, provider extensions) cost about as much as a small query. Every input is a
        // singleton (the database options, the areas' interceptors), so nothing scoped is captured.
        services.AddDbContext<KilnDbContext>((sp, o) =>
        {
            Configure(o, sp.GetRequiredService<IOptions<DatabaseOptions>>().Value);
            // Interceptors an area registers (the live channel's commit hook on SQLite).
            if (sp.GetServices<IInterceptor>().ToArray() is { Length: > 0 } interceptors) o.AddInterceptors(interceptors);
        }, ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        services.AddSingleton(TimeProvider.System);
        services.AddKilnDataProtection();
        return services;
    }

    public static void Configure(DbContextOptionsBuilder o, DatabaseOptions db)
    {
        if (db.Provider == DatabaseProvider.Postgres)
        {
            o.UseNpgsql(WithGenericPlans(db.ConnectionString), n => n.MigrationsHistoryTable("__kiln_migrations"));
        }
        else
        {
            var csb = new SqliteConnectionStringBuilder(db.ConnectionString);
            var dir = Path.GetDirectoryName(Path.GetFullPath(csb.DataSource));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            csb.DefaultTimeout = 30;
            o.UseSqlite(csb.ToString(), s => s.MigrationsHistoryTable("__kiln_migrations"));
            o.AddInterceptors(SqlitePragmas.Instance);
        }
        o.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    /// <summary>
    /// The queue's hot statements (claim, batched completion) are prepared once per connection. PostgreSQL would still
    /// re-plan the claim on every execution (its custom plans look cheaper than the generic one), which cost as much
    /// as running it; a prepared statement here always uses its generic plan. Only prepared statements are affected.
    /// </summary>
    internal static string WithGenericPlans(string connectionString)
    {
        var csb = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (csb.Options?.Contains("plan_cache_mode", StringComparison.Ordinal) != true)
            csb.Options = $"{csb.Options} -c plan_cache_mode=force_generic_plan".Trim();
        csb.NoResetOnClose = true;
        return csb.ToString();
    }

    /// <summary>Creates a context outside DI (CLI, tests, migrations).</summary>
    public static KilnDbContext CreateContext(DatabaseOptions db, ITenantScope? tenant = null)
    {
        var builder = new DbContextOptionsBuilder<KilnDbContext>();
        Configure(builder, db);
        return new KilnDbContext(builder.Options, tenant);
    }
}

/// <summary>WAL and a busy timeout let the web host and a worker share one SQLite file.</summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    // Microsoft.Data.Sqlite pools its native connections and the pragmas stay set on them, so each native connection
    // is configured once, not on every open (every EF query opens and closes the pooled connection).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Configured = [];
    private static readonly object Done = new();

    private static void Apply(System.Data.Common.DbConnection connection)
    {
        var handle = (connection as SqliteConnection)?.Handle;
        if (handle is not null && Configured.TryGetValue(handle, out _)) return;
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
        cmd.ExecuteNonQuery();
        if (handle is not null) Configured.AddOrUpdate(handle, Done);
    }
}

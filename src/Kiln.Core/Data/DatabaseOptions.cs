namespace Kiln.Core.Data;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>Bound from the <c>Kiln:Database</c> section.</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    /// <summary>For SQLite: <c>Data Source=data/kiln.db</c>. For PostgreSQL: an Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/kiln.db";
    /// <summary>Apply pending migrations when a host starts (on by default in embedded mode).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}

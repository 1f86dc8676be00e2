using Kiln.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Tests.Support;

/// <summary>A migrated SQLite database in a temp file, deleted on dispose.</summary>
public sealed class TestDb : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"kiln-test-{Guid.NewGuid():N}.db");

    public TestDb()
    {
        Options = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={_path}" };
        using var db = Create();
        db.Database.Migrate();
    }

    public DatabaseOptions Options { get; }

    public KilnDbContext Create(ITenantScope? tenant = null) => DataRegistrations.CreateContext(Options, tenant);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(_path + suffix);
    }
}

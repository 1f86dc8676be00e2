using Kiln.Core.Data;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>The providers every storage-touching test runs on.</summary>
public static class Providers
{
    public static TheoryData<string> Both => new("sqlite", "postgres");

    public static async Task<DatabaseOptions> NewDatabase(string provider, PostgresServer pg) => provider switch
    {
        "postgres" => new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = await pg.CreateDatabaseAsync() },
        _ => new DatabaseOptions
        {
            Provider = DatabaseProvider.Sqlite,
            ConnectionString = $"Data Source={Path.Combine(Path.GetTempPath(), $"kiln-test-{Guid.NewGuid():N}.db")}",
        },
    };
}

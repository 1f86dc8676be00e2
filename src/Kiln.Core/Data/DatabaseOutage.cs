using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kiln.Core.Data;

/// <summary>
/// Tells an outage of the database (PostgreSQL restarting, the network to it gone, SQLite busy or locked past its
/// timeout) from a bug: the first is worth retrying in a moment, and callers say so (the web host answers 503 with
/// <c>Retry-After</c>, the CLI exits with <c>EX_TEMPFAIL</c>) instead of reporting an internal error.
/// </summary>
public static class DatabaseOutage
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    public static bool IsUnavailable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // Npgsql marks connection failures, broken streams, timeouts and the server's own "shutting down",
                // "cannot connect now" and "too many connections" states as transient.
                case NpgsqlException { IsTransient: true }:
                case SqliteException { SqliteErrorCode: SqliteBusy or SqliteLocked }:
                case SocketException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsUnavailable):
                    return true;
            }
        }
        return false;
    }
}

using System.Net.Sockets;
using Kiln.Core.Data;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kiln.Core.Tests.Common;

public sealed class DatabaseOutageTests
{
    [Fact]
    public void Connection_failures_busy_and_locked_databases_and_server_shutdowns_are_outages()
    {
        DatabaseOutage.IsUnavailable(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))).ShouldBeTrue();
        DatabaseOutage.IsUnavailable(new SocketException((int)SocketError.ConnectionReset)).ShouldBeTrue();
        DatabaseOutage.IsUnavailable(new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")).ShouldBeTrue();
        DatabaseOutage.IsUnavailable(new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03")).ShouldBeTrue();
        DatabaseOutage.IsUnavailable(new SqliteException("database is locked", 5)).ShouldBeTrue();
        DatabaseOutage.IsUnavailable(new SqliteException("database table is locked", 6)).ShouldBeTrue();
        // As EF Core wraps them.
        DatabaseOutage.IsUnavailable(new InvalidOperationException("An exception has been raised that is likely due to a transient failure.",
            new NpgsqlException("Exception while reading from stream", new IOException("broken pipe")))).ShouldBeTrue();
    }

    [Fact]
    public void Bugs_and_constraint_violations_are_not_outages()
    {
        DatabaseOutage.IsUnavailable(new PostgresException("duplicate key value", "ERROR", "ERROR", "23505")).ShouldBeFalse();
        DatabaseOutage.IsUnavailable(new SqliteException("UNIQUE constraint failed", 19)).ShouldBeFalse();
        DatabaseOutage.IsUnavailable(new InvalidOperationException("a bug")).ShouldBeFalse();
        DatabaseOutage.IsUnavailable(null).ShouldBeFalse();
    }
}

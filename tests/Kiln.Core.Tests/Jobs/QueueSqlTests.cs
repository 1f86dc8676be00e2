using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Jobs.Queue;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Tests.Jobs;

public sealed class QueueSqlTests
{
    [Fact]
    public void The_queue_returns_and_reads_every_column_of_jobs()
    {
        // A column added to Job (and its migration) must also be added to QueueSql's one column list, or the raw
        // claims would hand back jobs without it.
        var options = new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=:memory:" };
        using var db = DataRegistrations.CreateContext(options);
        var columns = db.Model.FindEntityType(typeof(Job))!.GetProperties().Select(p => p.GetColumnName());
        QueueSql.JobColumnNames.ShouldBe(columns, ignoreOrder: true);
    }
}

using Kiln.Core.Billing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Kiln.Core.Tests.Billing;

/// <summary>The hand-written billing migration must produce exactly what the model describes (SQLite side).</summary>
public sealed class BillingSchemaTests
{
    [Fact]
    public async Task Migrated_billing_tables_match_the_model()
    {
        await using var kit = new BillingTestKit();
        await using var db = kit.NewContext();
        var conn = db.Database.GetDbConnection();
        await conn.OpenAsync(TestContext.Current.CancellationToken);
        var billingTypes = db.Model.GetEntityTypes().Where(t => t.ClrType.Namespace == typeof(Payment).Namespace).ToList();
        billingTypes.Count.ShouldBe(6);
        foreach (var type in billingTypes)
        {
            var table = type.GetTableName()!;
            var store = StoreObjectIdentifier.Table(table, null);
            var columns = new Dictionary<string, (string Type, bool NotNull, bool Pk)>();
            await using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = $"PRAGMA table_info('{table}')";
                await using var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                while (await r.ReadAsync(TestContext.Current.CancellationToken)) columns[r.GetString(1)] = (r.GetString(2), r.GetInt64(3) == 1, r.GetInt64(5) > 0);
            }
            columns.ShouldNotBeEmpty($"table {table} is missing");
            var props = type.GetProperties().ToList();
            columns.Keys.Order().ShouldBe(props.Select(p => p.GetColumnName(store)!).Order(), $"columns of {table}");
            foreach (var p in props)
            {
                var c = columns[p.GetColumnName(store)!];
                var pk = type.FindPrimaryKey()!.Properties.Contains(p);
                if (!pk) c.NotNull.ShouldBe(!p.IsNullable, $"{table}.{p.GetColumnName(store)} nullability");
                c.Type.ShouldBe(p.GetColumnType(store), $"{table}.{p.GetColumnName(store)} type");
            }

            var indexes = new Dictionary<string, bool>();
            await using (var cmd = conn.CreateCommand())
            {
                cmd.CommandText = $"PRAGMA index_list('{table}')";
                await using var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                while (await r.ReadAsync(TestContext.Current.CancellationToken))
                    if (r.GetString(3) == "c") indexes[r.GetString(1)] = r.GetInt64(2) == 1;
            }
            var modelIndexes = type.GetIndexes().ToDictionary(i => i.GetDatabaseName(store)!, i => i.IsUnique);
            indexes.OrderBy(k => k.Key).ShouldBe(modelIndexes.OrderBy(k => k.Key), $"indexes of {table}");
            foreach (var ix in type.GetIndexes())
            {
                var cols = new List<string>();
                await using var cmd = conn.CreateCommand();
                cmd.CommandText = $"PRAGMA index_info('{ix.GetDatabaseName(store)}')";
                await using var r = await cmd.ExecuteReaderAsync(TestContext.Current.CancellationToken);
                while (await r.ReadAsync(TestContext.Current.CancellationToken)) cols.Add(r.GetString(2));
                cols.ShouldBe(ix.Properties.Select(p => p.GetColumnName(store)!).ToList(), $"columns of {ix.GetDatabaseName(store)}");
            }
        }
    }

    [Fact]
    public void Max_lengths_in_the_model_are_the_ones_the_migration_declares()
    {
        using var db = new BillingTestKit().NewContextUntracked();
        var payment = db.Model.FindEntityType(typeof(Payment))!;
        payment.FindProperty(nameof(Payment.ProviderPaymentId))!.GetMaxLength().ShouldBe(200);
        payment.FindProperty(nameof(Payment.ReceiptUrl))!.GetMaxLength().ShouldBe(2000);
        db.Model.FindEntityType(typeof(PaymentEvent))!.FindProperty(nameof(PaymentEvent.Payload))!.GetMaxLength().ShouldBeNull();
        db.Model.FindEntityType(typeof(PaymentEvent))!.GetTableName().ShouldBe("payment_events");
    }
}

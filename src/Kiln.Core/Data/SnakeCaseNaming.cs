using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Kiln.Core.Data;

/// <summary>
/// snake_case names for tables, columns, keys and indexes, the same on both providers so hand-written SQL
/// (job claims, ledger updates) reads naturally. EFCore.NamingConventions does not load on EF Core 10 here.
/// </summary>
internal static class SnakeCaseNaming
{
    public static void Apply(ModelBuilder builder)
    {
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            var table = entity.GetTableName();
            if (table is null) continue;
            var newTable = ToSnake(table.StartsWith("AspNet", StringComparison.Ordinal) ? table["AspNet".Length..] : table);
            entity.SetTableName(newTable);
            var store = StoreObjectIdentifier.Table(newTable, entity.GetSchema());
            foreach (var p in entity.GetProperties())
                p.SetColumnName(ToSnake(p.GetColumnName(store) ?? p.Name));
            foreach (var k in entity.GetKeys())
                k.SetName(ToSnake(k.GetName() ?? k.GetDefaultName()!));
            foreach (var fk in entity.GetForeignKeys())
                fk.SetConstraintName(ToSnake(fk.GetConstraintName() ?? fk.GetDefaultName()!));
            foreach (var ix in entity.GetIndexes())
                ix.SetDatabaseName(ToSnake(ix.GetDatabaseName() ?? ix.GetDefaultDatabaseName()!));
        }
    }

    public static string ToSnake(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var prevLower = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var nextLower = i > 0 && i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]);
                if (prevLower || nextLower) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

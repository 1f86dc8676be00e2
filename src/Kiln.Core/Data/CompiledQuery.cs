using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Kiln.Core.Data;

/// <summary>
/// A query compiled with <c>EF.CompileAsyncQuery</c> once per model. The compiled delegate binds to the first model it
/// runs with and throws for any other, and one process can hold several (the integration tests run SQLite and
/// PostgreSQL hosts side by side), so each model gets its own. Hot reads only: the point is to skip EF Core's per-call
/// expression work (parameter extraction, cache-key hashing) on the requests every client repeats.
/// </summary>
public sealed class CompiledQuery<TDelegate>(Func<TDelegate> compile) where TDelegate : class
{
    private readonly ConcurrentDictionary<IModel, TDelegate> _byModel = new(ReferenceEqualityComparer.Instance);

    public TDelegate For(DbContext db) => _byModel.GetOrAdd(db.Model, static (_, c) => c(), compile);
}

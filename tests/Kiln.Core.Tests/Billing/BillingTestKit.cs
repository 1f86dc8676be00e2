using System.Text;
using System.Text.Json;
using Kiln.Core.Accounts;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Billing.Providers;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Billing;

/// <summary>A migrated SQLite file per test plus hand-wired billing use cases (one set per DbContext).</summary>
public sealed class BillingTestKit : IAsyncDisposable
{
    public const string SandboxSecret = "sandbox-test-secret";
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"kiln-billing-{Guid.NewGuid():N}.db");
    private readonly List<KilnDbContext> _contexts = [];

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    public IOptions<BillingOptions> Options { get; }
    public BillingCatalog Catalog { get; }
    public Guid WorkspaceId { get; } = Guid.CreateVersion7();

    public BillingTestKit(Action<BillingOptions>? configure = null)
    {
        var o = new BillingOptions { Provider = "sandbox", Sandbox = { Secret = SandboxSecret } };
        configure?.Invoke(o);
        BillingOptions.ApplyDefaults(o);
        Options = Microsoft.Extensions.Options.Options.Create(o);
        Catalog = new BillingCatalog(Options);
        using var db = NewContextUntracked();
        db.Database.Migrate();
        db.Workspaces.Add(new Workspace { Id = WorkspaceId, Name = "Test", CreatedAt = Clock.GetUtcNow().UtcDateTime });
        db.SaveChanges();
    }

    public KilnDbContext NewContextUntracked() =>
        DataRegistrations.CreateContext(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = $"Data Source={_file}" });

    public KilnDbContext NewContext()
    {
        var db = NewContextUntracked();
        lock (_contexts) _contexts.Add(db);
        return db;
    }

    public sealed record Services(KilnDbContext Db, CreditsLedger Ledger, ReceiveWebhookCommand Intake, ProcessPaymentEventsCommand Processor,
        BillingFactApplier Applier, PaymentProviders Providers);

    public Services For(KilnDbContext db, params IPaymentProvider[] extra)
    {
        var ledger = new CreditsLedger(db, Clock);
        IPaymentProvider[] all = [new SandboxProvider(Options, new StandardWebhookVerifier(Clock), Clock), .. extra];
        var providers = new PaymentProviders(all, Options);
        var applier = new BillingFactApplier(db, ledger, Catalog, Clock);
        return new Services(db, ledger, new ReceiveWebhookCommand(db, providers, Clock),
            new ProcessPaymentEventsCommand(db, providers, applier, Clock, Options, NullLogger<ProcessPaymentEventsCommand>.Instance), applier, providers);
    }

    public Services New(params IPaymentProvider[] extra) => For(NewContext(), extra);

    /// <summary>A sandbox delivery signed like <see cref="CompleteSandboxCheckoutCommand"/> does.</summary>
    public (byte[] Body, Dictionary<string, string> Headers) SandboxDelivery(string eventId, string type, DateTimeOffset at, object data)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(CompleteSandboxCheckoutCommand.Event(type, at, data));
        var ts = Clock.GetUtcNow().ToUnixTimeSeconds();
        return (body, new Dictionary<string, string>
        {
            ["webhook-id"] = eventId,
            ["webhook-timestamp"] = ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = StandardWebhookVerifier.Sign(SandboxSecret, eventId, ts, body),
        });
    }

    public static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);

    public async ValueTask DisposeAsync()
    {
        foreach (var db in _contexts) await db.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" })
            try { File.Delete(f); } catch (IOException) { }
    }
}

using System.Diagnostics.Metrics;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Storage;

/// <summary>kiln_storage_errors_total counts failures of the store itself, not the outcomes a caller expects.</summary>
public sealed class MeteredBlobStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kiln-metered-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Only this test's own calls: the counter is process-wide and other tests run in parallel.</summary>
    private static readonly AsyncLocal<List<string>?> Recorded = new();

    public void Dispose() => _dir.Delete(recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private MeteredBlobStore Store(string root) =>
        new(new LocalDiskBlobStore(root, new LocalBlobSigner(new byte[32]), new Uri("https://kiln.test/"), _time));

    private static MeterListener Listen()
    {
        var instrument = KilnMetrics.StorageErrors; // initialised before the listener enumerates the published instruments
        var listener = new MeterListener
        {
            InstrumentPublished = (published, l) => { if (published == instrument) l.EnableMeasurementEvents(published); },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "operation") Recorded.Value?.Add($"{tag.Value}:{value}");
        });
        listener.Start();
        return listener;
    }

    [Fact]
    public async Task A_store_that_cannot_write_counts_an_error_and_rethrows()
    {
        Recorded.Value = [];
        using var listener = Listen();
        // A file where the workspace's directory should be: the write fails with an I/O error, as on a broken volume.
        var root = Path.Combine(_dir.FullName, "blobs");
        var store = Store(root);
        await File.WriteAllTextAsync(Path.Combine(root, "ws"), "x", Ct);

        await Should.ThrowAsync<IOException>(() => store.PutAsync("ws/a/uploads/x", new MemoryStream(Encoding.UTF8.GetBytes("hello")), "text/plain", Ct));

        Recorded.Value.ShouldBe(["put:1"]);
    }

    [Fact]
    public async Task Missing_objects_and_canceled_calls_are_not_errors()
    {
        Recorded.Value = [];
        using var listener = Listen();
        var store = Store(Path.Combine(_dir.FullName, "blobs"));
        await store.PutAsync("ws/a/uploads/x", new MemoryStream(Encoding.UTF8.GetBytes("hello")), "text/plain", Ct);

        (await store.StatAsync("ws/a/uploads/missing", Ct)).ShouldBeNull();
        await Should.ThrowAsync<FileNotFoundException>(() => store.OpenReadAsync("ws/a/uploads/missing", Ct));
        using var canceled = new CancellationTokenSource();
        await canceled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => store.PutAsync("ws/a/uploads/y", new MemoryStream(new byte[10]), "text/plain", canceled.Token));

        Recorded.Value.ShouldBeEmpty();
        MeteredBlobStore.Unwrap(store).ShouldBeOfType<LocalDiskBlobStore>();
    }
}

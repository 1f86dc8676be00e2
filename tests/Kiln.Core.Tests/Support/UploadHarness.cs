using Kiln.Core.Billing;
using System.Net.Http.Headers;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// The upload use cases wired by hand over a temp database and a given blob store, plus a client that sends bytes
/// to the returned targets the way a browser would (HTTP for S3, the signed /blobs contract for the local store).
/// </summary>
public sealed class UploadHarness : IDisposable
{
    private static readonly HttpClient Http = new();
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kiln-uploads-");

    public UploadHarness(IBlobStore? store = null, Action<UploadOptions>? configure = null)
    {
        var options = new UploadOptions { TempPath = Path.Combine(_dir.FullName, "tmp") };
        configure?.Invoke(options);
        Options = options;
        Store = store ?? new LocalDiskBlobStore(Path.Combine(_dir.FullName, "blobs"), new LocalBlobSigner(new byte[32]), new Uri("https://kiln.test/"), Time);
    }

    public TestDb Db { get; } = new();
    public IBlobStore Store { get; }
    public UploadOptions Options { get; }
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
    public Guid WorkspaceId { get; } = Ids.New();
    public string TempPath => Options.TempPath!;

    private IOptions<UploadOptions> Opts => Microsoft.Extensions.Options.Options.Create(Options);

    public KilnDbContext Context(Guid? tenant = null) => Db.Create(tenant is null ? null : new TenantScope { WorkspaceId = tenant });

    public CreateUploadCommand Create(KilnDbContext db) => new(db, Store, Time, Opts, new GetPlanLimitsQuery(db, Catalog), Storage(db));

    public static StorageQuota Storage(KilnDbContext db) => new(db, new GetPlanLimitsQuery(db, Catalog));

    /// <summary>The default catalog: the Free plan's limits apply to the harness workspace.</summary>
    public static BillingCatalog Catalog { get; } = NewCatalog();

    private static BillingCatalog NewCatalog()
    {
        var o = new BillingOptions();
        BillingOptions.ApplyDefaults(o);
        return new BillingCatalog(Microsoft.Extensions.Options.Options.Create(o));
    }

    public CompleteUploadCommand Complete(KilnDbContext db) => new(db, Store, Finisher(db), Storage(db));

    public UploadFinisher Finisher(KilnDbContext db)
    {
        var tools = new ToolRunner(new Kiln.Core.Media.ProcessRunner(), Opts);
        var validator = new UploadValidator(Store, new ContentValidator(new PdfInspector(tools, Opts), new MediaInspector(tools, Opts)), Opts);
        return new UploadFinisher(db, Store, validator, NullLogger<UploadFinisher>.Instance);
    }

    /// <summary>URL imports; the fetcher allows every address unless given one that does not (the test servers are local).</summary>
    public ImportUploadFromUrlCommand Import(KilnDbContext db, UrlFetcher fetcher, UrlImportGate? gate = null) =>
        new(db, Store, fetcher, gate ?? new UrlImportGate(Opts), Finisher(db), new GetPlanLimitsQuery(db, Catalog), Storage(db), Time, Opts, NullLogger<ImportUploadFromUrlCommand>.Instance);

    public ExpiredUploadsSweeper Sweeper(KilnDbContext db) => new(db, Store, Time, Opts, NullLogger<ExpiredUploadsSweeper>.Instance);

    /// <summary>Creates an upload and sends <paramref name="bytes"/> split across its targets; returns the part ETags.</summary>
    public async Task<(CreatedUpload Created, List<CompletedPart> Parts)> UploadAsync(string fileName, byte[] bytes, long? declaredSize = null)
    {
        await using var db = Context();
        var created = await Create(db).Run(WorkspaceId, null, new CreateUploadRequest(fileName, declaredSize ?? bytes.Length, null), CancellationToken.None);
        created.Error.ShouldBeNull();
        var parts = new List<CompletedPart>();
        foreach (var target in created.Value!.Parts)
        {
            var start = (int)Math.Min(bytes.Length, (target.PartNumber - 1) * created.Value.PartSize);
            var end = (int)Math.Min(bytes.Length, target.PartNumber * created.Value.PartSize);
            parts.Add(new CompletedPart(target.PartNumber, await SendAsync(target, bytes.AsMemory(start, end - start))));
        }
        return (created.Value, parts);
    }

    public async Task<Result<Upload>> UploadAndCompleteAsync(string fileName, byte[] bytes, bool sendETags = true)
    {
        var (created, parts) = await UploadAsync(fileName, bytes);
        await using var db = Context();
        return await Complete(db).Run(WorkspaceId, created.Id, sendETags ? parts : null, CancellationToken.None);
    }

    public async Task<string> SendAsync(UploadPartTarget target, ReadOnlyMemory<byte> body)
    {
        if (Store is LocalDiskBlobStore local)
        {
            var key = Uri.UnescapeDataString(target.Url.AbsolutePath["/blobs/".Length..]);
            var upload = local.VerifyUpload(key, new QueryCollection(QueryHelpers.ParseQuery(target.Url.Query)));
            upload.ShouldNotBeNull("the local store must accept its own signed URL");
            return await local.ReceiveAsync(upload, new MemoryStream(body.ToArray()), CancellationToken.None);
        }

        using var request = new HttpRequestMessage(new HttpMethod(target.Method), target.Url) { Content = new ReadOnlyMemoryContent(body) };
        foreach (var (name, value) in target.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            else request.Headers.Add(name, value);
        }
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"PUT {target.Url} answered {(int)response.StatusCode}: {text}");
        return response.Headers.ETag?.Tag ?? throw new InvalidOperationException("No ETag in the part response.");
    }

    public void Dispose()
    {
        Db.Dispose();
        _dir.Delete(recursive: true);
    }
}

public static class UploadTestExtensions
{
    /// <summary>The probed facts of a ready upload, as JSON.</summary>
    public static System.Text.Json.JsonElement Metadata(this Upload upload) =>
        System.Text.Json.JsonDocument.Parse(upload.MetadataJson ?? throw new InvalidOperationException("The upload has no metadata.")).RootElement.Clone();
}

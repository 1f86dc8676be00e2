using Kiln.Core.Common;
using Kiln.Core.Storage;
using Kiln.Core.Tests.Support;
using Kiln.Core.Uploads;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Tests.Uploads;

/// <summary>The import use case over both blob stores: the plan's limit, and nothing left behind on S3 either.</summary>
public sealed class ImportUploadFromUrlTests(S3Server s3) : IClassFixture<S3Server>, IAsyncLifetime
{
    private static readonly byte[] Pdf = TestFiles.Pdf(2);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SourceServer _source = null!;
    private readonly UrlFetcher _fetcher = new(_ => true);

    public async ValueTask InitializeAsync() => _source = await SourceServer.StartAsync(_ => new()
    {
        ["/paper.pdf"] = ctx => Send(ctx, Pdf),
        ["/fake.pdf"] = ctx => Send(ctx, "<html>nope</html>"u8.ToArray()),
        ["/held.pdf"] = async ctx =>
        {
            _held.TrySetResult();
            await _release.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await Send(ctx, Pdf);
        },
        ["/declares-60mib.pdf"] = async ctx =>
        {
            ctx.Response.ContentLength = 60L * 1024 * 1024;
            try
            {
                await ctx.Response.Body.WriteAsync("%PDF-1.4\n"u8.ToArray(), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        },
        ["/streams-51mib.pdf"] = async ctx =>
        {
            var chunk = new byte[1024 * 1024];
            try
            {
                for (var i = 0; i < 51; i++) await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        },
    });

    public async ValueTask DisposeAsync()
    {
        _fetcher.Dispose();
        await _source.DisposeAsync();
    }

    private static async Task Send(HttpContext ctx, byte[] body)
    {
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body);
    }

    [Theory]
    [InlineData("/declares-60mib.pdf")]
    [InlineData("/streams-51mib.pdf")]
    public async Task The_plans_limit_applies_up_front_and_while_streaming(string path)
    {
        using var h = new UploadHarness();
        await using var db = h.Context();
        var result = await h.Import(db, _fetcher).Run(h.WorkspaceId, null, _source.Url + path, CancellationToken.None);
        result.Error!.Code.ShouldBe("upload_too_large");
        result.Error.Kind.ShouldBe(ErrorKind.TooLarge);
        result.Error.Extensions!["limit"].ShouldBe("plan");
        result.Error.Message.ShouldContain("pricing page");
        var row = await db.Uploads.AsNoTracking().SingleAsync();
        row.Status.ShouldBe(UploadStatus.Rejected);
        (await h.Store.StatAsync(row.BlobKey, CancellationToken.None)).ShouldBeNull();
        Directory.GetFiles(Path.GetDirectoryName(h.TempPath)!, "*", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Fact]
    public async Task On_S3_a_linked_file_is_stored_and_validated_and_a_rejected_one_leaves_no_object()
    {
        using var store = new S3BlobStore(s3.StoreOptions);
        using var h = new UploadHarness(store, o => o.MaxBytes = 100_000);
        await using var db = h.Context();
        var import = h.Import(db, _fetcher);

        var ok = await import.Run(h.WorkspaceId, null, _source.Url + "/paper.pdf", CancellationToken.None);
        ok.Error.ShouldBeNull();
        ok.Value!.Status.ShouldBe(UploadStatus.Ready);
        ok.Value.Size.ShouldBe(Pdf.Length);
        var stored = await db.Uploads.AsNoTracking().SingleAsync(u => u.Id == ok.Value.Id);
        (await store.StatAsync(stored.BlobKey, CancellationToken.None))!.Size.ShouldBe(Pdf.Length);

        var fake = await import.Run(h.WorkspaceId, null, _source.Url + "/fake.pdf", CancellationToken.None);
        fake.Error!.Code.ShouldBe("type_mismatch");
        var big = await import.Run(h.WorkspaceId, null, _source.Url + "/streams-51mib.pdf", CancellationToken.None);
        big.Error!.Code.ShouldBe("upload_too_large");
        foreach (var rejected in await db.Uploads.AsNoTracking().Where(u => u.Id != ok.Value.Id).ToListAsync())
        {
            rejected.Status.ShouldBe(UploadStatus.Rejected);
            (await store.StatAsync(rejected.BlobKey, CancellationToken.None)).ShouldBeNull();
        }
    }

    [Fact]
    public async Task A_workspace_runs_only_so_many_imports_at_once()
    {
        using var h = new UploadHarness(configure: o => o.MaxConcurrentUrlImports = 1);
        var gate = new UrlImportGate(Microsoft.Extensions.Options.Options.Create(h.Options));
        await using var first = h.Context();
        var running = h.Import(first, _fetcher, gate).Run(h.WorkspaceId, null, _source.Url + "/held.pdf", CancellationToken.None);
        await _held.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await using (var db = h.Context())
        {
            var refused = await h.Import(db, _fetcher, gate).Run(h.WorkspaceId, null, _source.Url + "/paper.pdf", CancellationToken.None);
            refused.Error!.Code.ShouldBe("too_many_imports");
            refused.Error.Kind.ShouldBe(ErrorKind.TooManyRequests);
            // Other workspaces are not held up.
            (await h.Import(db, _fetcher, gate).Run(Guid.NewGuid(), null, _source.Url + "/paper.pdf", CancellationToken.None)).Error.ShouldBeNull();
        }

        _release.SetResult();
        (await running).Error.ShouldBeNull();
        await using (var db = h.Context())
            (await h.Import(db, _fetcher, gate).Run(h.WorkspaceId, null, _source.Url + "/paper.pdf", CancellationToken.None)).Error.ShouldBeNull();
        // Only the imports that ran left rows: the refused one never started.
        await using (var db = h.Context()) (await db.Uploads.IgnoreQueryFilters().CountAsync()).ShouldBe(3);
    }

    [Fact]
    public async Task Deleting_the_upload_while_its_link_is_fetched_keeps_nothing_and_says_so()
    {
        using var h = new UploadHarness();
        await using var importing = h.Context();
        var running = h.Import(importing, _fetcher).Run(h.WorkspaceId, null, _source.Url + "/held.pdf", CancellationToken.None);
        await _held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await using (var db = h.Context())
        {
            var pending = await db.Uploads.IgnoreQueryFilters().SingleAsync();
            (await new DeleteUploadCommand(db, h.Store).Run(h.WorkspaceId, pending.Id, CancellationToken.None)).Error.ShouldBeNull();
        }

        _release.SetResult();
        var result = await running;
        result.Error!.Code.ShouldBe("upload_deleted");
        result.Error.Kind.ShouldBe(ErrorKind.Conflict);
        await using (var db = h.Context()) (await db.Uploads.IgnoreQueryFilters().CountAsync()).ShouldBe(0);
        Directory.GetFiles(Path.GetDirectoryName(h.TempPath)!, "*", SearchOption.AllDirectories).ShouldBeEmpty();
    }
}

using Kiln.Core.Common;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Api;

public static class BlobsEndpoints
{
    /// <summary>
    /// The local blob store's signed endpoints, the counterpart of S3 presigned URLs. Anonymous on purpose: the HMAC
    /// signature in the query is the authorization. They answer 404 when storage is S3.
    /// </summary>
    public static IEndpointRouteBuilder MapBlobEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/blobs").WithTags("Blobs").AllowAnonymous();

        g.MapGet("/{**key}", DownloadBlobAsync)
            .LimitPerIp("blobs", o => o.BlobsPerMinute)
            .WithName("DownloadBlob")
            .WithSummary("Download a blob through a signed URL (local storage only); supports Range requests.")
            // The handler streams a file or answers a problem; it stays untyped so its bare 404 keeps the status-code-pages body.
            .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream")
            .Produces<Stream>(StatusCodes.Status206PartialContent, "application/octet-stream")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        g.MapPut("/{**key}", UploadBlobAsync)
            .WithName("UploadBlob")
            .WithSummary("Upload a file or one part through a signed URL (local storage only); returns the part's ETag.")
            .Produces(StatusCodes.Status200OK) // no body: the part's ETag is the ETag header
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        return app;
    }

    private static async Task<IResult> DownloadBlobAsync(string key, HttpContext http, IOptions<BlobStoreOptions> options, IServiceProvider services, CancellationToken ct)
    {
        if (options.Value.Provider != BlobStoreProvider.Local) return Results.NotFound();
        var store = services.GetRequiredService<LocalDiskBlobStore>();
        var download = store.VerifyDownload(key, http.Request.Query);
        if (download is null) return Forbidden();
        Stream stream;
        try
        {
            stream = await store.OpenReadAsync(download.Key, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Results.NotFound();
        }
        http.Response.Headers.ContentDisposition = ContentDispositionHeader.Attachment(download.FileName);
        // Blobs are user content served from Kiln's origin: never let a browser sniff or run it as a page.
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox";
        return Results.File(stream, download.ContentType, enableRangeProcessing: true);
    }

    private static async Task<IResult> UploadBlobAsync(string key, HttpContext http, IOptions<BlobStoreOptions> options, IServiceProvider services, CancellationToken ct)
    {
        if (options.Value.Provider != BlobStoreProvider.Local) return Results.NotFound();
        var store = services.GetRequiredService<LocalDiskBlobStore>();
        var upload = store.VerifyUpload(key, http.Request.Query);
        // Only refused signatures count against the per-IP limit: a valid one was signed for an upload its workspace
        // created (limited there), and counting every 8 MiB part in the database cost a write per part and stopped a
        // single large file at 600 parts a minute (4.7 GiB) from one address.
        if (upload is null) return await RefusedSignatureAsync(http, services, ct);
        // A valid signature is not enough: the upload must still be waiting for its bytes. Completing or deleting it
        // kills the link, so validated bytes cannot be swapped and a deleted upload cannot leave a file behind.
        var uploads = services.GetRequiredService<UploadLinkState>();
        if (!await uploads.AcceptsBytesAsync(upload.Key, upload.UploadId, ct)) return Closed();
        if (http.Request.ContentLength > upload.MaxBytes) return TooLarge(upload.MaxBytes);

        // The signed limit replaces the server-wide body limit for this request; it is enforced while streaming.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = upload.MaxBytes + 1;
        try
        {
            var etag = await store.ReceiveAsync(upload, http.Request.Body, ct, c => uploads.AcceptsBytesAsync(upload.Key, upload.UploadId, c));
            http.Response.Headers.ETag = etag;
            return Results.Ok();
        }
        catch (BlobTooLargeException)
        {
            return TooLarge(upload.MaxBytes);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(upload.MaxBytes);
        }
        catch (BlobClosedException)
        {
            return Closed();
        }
        catch (BlobIncompleteException e)
        {
            return Problems.From(new Error("upload_incomplete", e.Message, ErrorKind.NotFound));
        }
        catch (BlobPartBusyException e)
        {
            return Problems.From(new Error("part_in_progress", e.Message, ErrorKind.Conflict));
        }
    }

    private static async Task<IResult> RefusedSignatureAsync(HttpContext http, IServiceProvider services, CancellationToken ct)
    {
        var limits = services.GetRequiredService<AbuseLimits>();
        var decision = await limits.PerMinuteAsync("blobs", AbuseLimits.ClientKey(http), limits.Options.BlobsPerMinute, ct);
        return decision.Allowed ? Forbidden() : AbuseLimits.Refuse(http, decision);
    }

    private static ProblemHttpResult Forbidden() =>
        Problems.From(new Error("invalid_signature", "The link is invalid or has expired.", ErrorKind.Forbidden));

    private static ProblemHttpResult Closed() => Problems.From(UploadErrors.LinkClosed);

    private static ProblemHttpResult TooLarge(long max) => Problems.From(UploadErrors.TooLarge(max));
}

using System.Security.Claims;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Api;

public sealed record CompleteUploadBody(IReadOnlyList<CompletedPart>? Parts);

/// <param name="Url">An http(s) link to the file itself (not a page about it), without credentials.</param>
public sealed record ImportUploadBody(string? Url);

public static class UploadsApi
{
    /// <summary>Maps <c>/uploads</c> under an authenticated group (its <see cref="WorkspaceRequired"/> filter guarantees the caller a workspace).</summary>
    public static RouteGroupBuilder MapUploadsApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/uploads").WithTags("Uploads");

        g.MapPost("/", CreateAsync)
            .WithName("CreateUpload")
            .WithSummary("Start an upload: returns one presigned PUT URL, or one per part for large files.")
            .Produces<CreatedUpload>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        g.MapPost("/{id:guid}/complete", CompleteAsync)
            .WithName("CompleteUpload")
            .WithSummary("Finish an upload (send part ETags for multipart uploads) and validate the file.")
            .Produces<UploadDto>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        g.MapPost("/from-url", ImportAsync)
            .WithName("ImportUploadFromUrl")
            .WithSummary("Create an upload by fetching a public http(s) link server-side; validated like an uploaded file.")
            .WithDescription("Fetches the link (at most 5 redirects, the upload size limit and Kiln:Uploads:UrlTimeout apply), stores the file and validates it. "
                + "Private, loopback and link-local addresses are refused with url_forbidden_address unless the operator allows them. "
                + "Other codes: url_invalid, url_fetch_failed (the source answered an error or could not be reached), url_timeout, too_many_imports (429), upload_too_large, "
                + "unsupported_type, type_mismatch, pdf_invalid, pdf_encrypted, media_invalid, empty_file.")
            .Produces<UploadDto>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        g.MapGet("/{id:guid}", GetAsync)
            .WithName("GetUpload")
            .WithSummary("Get one upload with its validation status and probed metadata.")
            .Produces<UploadDto>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        g.MapGet("/", ListAsync)
            .WithName("ListUploads")
            .WithSummary("List the workspace's uploads, newest first (page is 1-based, pageSize up to 200).")
            .Produces<UploadPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        g.MapDelete("/{id:guid}", DeleteAsync)
            .WithName("DeleteUpload")
            .WithSummary("Delete an upload and its stored bytes.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    /// <summary>
    /// The local blob store's signed endpoints, the counterpart of S3 presigned URLs. Anonymous on purpose: the HMAC
    /// signature in the query is the authorization. They answer 404 when storage is S3.
    /// </summary>
    public static IEndpointRouteBuilder MapBlobEndpoints(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/blobs").WithTags("Blobs").AllowAnonymous();

        g.MapGet("/{**key}", DownloadBlobAsync)
            .WithName("DownloadBlob")
            .WithSummary("Download a blob through a signed URL (local storage only); supports Range requests.");

        g.MapPut("/{**key}", UploadBlobAsync)
            .WithName("UploadBlob")
            .WithSummary("Upload a file or one part through a signed URL (local storage only); returns the part's ETag.");

        return app;
    }

    private static async Task<IResult> CreateAsync(CreateUploadRequest body, CurrentUser me, ClaimsPrincipal user, CreateUploadCommand command, LinkGenerator links, HttpContext http, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        Guid? userId = Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var u) ? u : null;
        var result = await command.Run(workspaceId, userId, body, ct);
        if (!result.IsSuccess) return Problems.From(result.Error!);
        var created = result.Value!;
        return Results.Created(links.GetPathByName(http, "GetUpload", new { id = created.Id }), created);
    }

    private static async Task<IResult> CompleteAsync(Guid id, [FromBody] CompleteUploadBody? body, CurrentUser me, CompleteUploadCommand command, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        return ToResult(await command.Run(workspaceId, id, body?.Parts, ct));
    }

    private static async Task<IResult> ImportAsync(ImportUploadBody body, CurrentUser me, ClaimsPrincipal user, ImportUploadFromUrlCommand command, LinkGenerator links, HttpContext http, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        Guid? userId = Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var u) ? u : null;
        var result = await command.Run(workspaceId, userId, body.Url, ct);
        return Problems.Map(result, upload => Results.Created(links.GetPathByName(http, "GetUpload", new { id = upload.Id }), upload));
    }

    private static async Task<IResult> GetAsync(Guid id, CurrentUser me, GetUploadQuery query, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        return ToResult(await query.Run(workspaceId, id, ct));
    }

    private static async Task<IResult> ListAsync(CurrentUser me, ListUploadsQuery query, CancellationToken ct, int? page = null, int? pageSize = null, string? status = null)
    {
        var workspaceId = me.Workspace;
        UploadStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<UploadStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                return Problems.From(Error.Invalid("invalid_status", "status must be one of: pending, ready, rejected."));
            filter = parsed;
        }
        return Results.Ok(await query.Run(workspaceId, page ?? 1, pageSize ?? 50, filter, ct));
    }

    private static async Task<IResult> DeleteAsync(Guid id, CurrentUser me, DeleteUploadCommand command, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        var result = await command.Run(workspaceId, id, ct);
        return result.IsSuccess ? Results.NoContent() : Problems.From(result.Error!);
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
        if (upload is null) return Forbidden();
        if (http.Request.ContentLength > upload.MaxBytes) return TooLarge(upload.MaxBytes);

        // The signed limit replaces the server-wide body limit for this request; it is enforced while streaming.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = upload.MaxBytes + 1;
        try
        {
            var etag = await store.ReceiveAsync(upload, http.Request.Body, ct);
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
        catch (BlobIncompleteException e)
        {
            return Problems.From(new Error("upload_incomplete", e.Message, 404));
        }
    }

    private static IResult ToResult(Result<UploadDto> result) => result.IsSuccess ? Results.Ok(result.Value) : Problems.From(result.Error!);

    private static IResult Forbidden() =>
        Problems.From(new Error("invalid_signature", "The link is invalid or has expired.", StatusCodes.Status403Forbidden));

    private static IResult TooLarge(long max) => Problems.From(UploadErrors.TooLarge(max));
}

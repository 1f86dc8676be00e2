using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
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
            .LimitPerWorkspace("uploads", o => o.UploadsPerMinute)
            .WithName("CreateUpload")
            .WithSummary("Start an upload: returns one presigned PUT URL, or one per part for large files. A declared size the plan's storage has no room for answers 403 plan_storage_limit with upgradeUrl.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        g.MapPost("/{id:guid}/complete", CompleteAsync)
            .WithName("CompleteUpload")
            .WithSummary("Finish an upload (send part ETags for multipart uploads) and validate the file. A file the plan's storage has no room for answers 403 plan_storage_limit and stays pending with its bytes until it expires: free space or upgrade, then complete again.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        g.MapPost("/from-url", ImportAsync)
            .LimitPerWorkspace("uploads", o => o.UploadsPerMinute)
            .WithName("ImportUploadFromUrl")
            .WithSummary("Create an upload by fetching a public http(s) link server-side; validated like an uploaded file.")
            .WithDescription("Fetches the link (at most 5 redirects, the upload size limit and Kiln:Uploads:UrlTimeout apply), stores the file and validates it. "
                + "Private, loopback and link-local addresses are refused with url_forbidden_address unless the operator allows them. "
                + "Other codes: url_invalid, url_fetch_failed (the source answered an error or could not be reached), url_timeout, too_many_imports (429), upload_too_large, "
                + "unsupported_type, type_mismatch, pdf_invalid, pdf_encrypted, media_invalid, empty_file.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        g.MapGet("/{id:guid}", GetAsync)
            .WithName("GetUpload")
            .WithSummary("Get one upload with its validation status and probed metadata.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        g.MapGet("/", ListAsync)
            .WithName("ListUploads")
            .WithSummary("List the workspace's uploads, newest first (page is 1-based, pageSize up to 200).")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        g.MapDelete("/{id:guid}", DeleteAsync)
            .WithName("DeleteUpload")
            .WithSummary("Delete an upload and its stored bytes.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    private static async Task<Results<Created<CreatedUploadDto>, ProblemHttpResult>> CreateAsync(CreateUploadRequest body, CurrentUser me, CreateUploadCommand command, LinkGenerator links, HttpContext http, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        var userId = me.UserId;
        var result = await command.Run(workspaceId, userId, body, ct);
        return Problems.Map(result, created => TypedResults.Created(links.GetPathByName(http, "GetUpload", new { id = created.Id }), CreatedUploadDto.From(created)));
    }

    private static async Task<Results<Ok<UploadDto>, ProblemHttpResult>> CompleteAsync(Guid id, [FromBody] CompleteUploadBody? body, CurrentUser me, CompleteUploadCommand command, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        return ToResult(await command.Run(workspaceId, id, body?.Parts, ct));
    }

    private static async Task<Results<Created<UploadDto>, ProblemHttpResult>> ImportAsync(ImportUploadBody body, CurrentUser me, ImportUploadFromUrlCommand command, LinkGenerator links, HttpContext http, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        var userId = me.UserId;
        var result = await command.Run(workspaceId, userId, body.Url, ct);
        return Problems.Map(result, upload => TypedResults.Created(links.GetPathByName(http, "GetUpload", new { id = upload.Id }), UploadDto.From(upload)));
    }

    private static async Task<Results<Ok<UploadDto>, ProblemHttpResult>> GetAsync(Guid id, CurrentUser me, GetUploadQuery query, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        return ToResult(await query.Run(workspaceId, id, ct));
    }

    private static async Task<Results<Ok<Paged<UploadDto>>, ProblemHttpResult>> ListAsync(CurrentUser me, ListUploadsQuery query, CancellationToken ct, int? page = null, int? pageSize = null, string? status = null)
    {
        var workspaceId = me.Workspace;
        UploadStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!EnumNames.TryParse<UploadStatus>(status, out var parsed))
                return Problems.From(Error.Invalid("invalid_status", $"status must be one of: {string.Join(", ", EnumNames.All<UploadStatus>())}."));
            filter = parsed;
        }
        return TypedResults.Ok(UploadDto.From(await query.Run(workspaceId, page ?? 1, pageSize ?? 50, filter, ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, CurrentUser me, DeleteUploadCommand command, CancellationToken ct)
    {
        var workspaceId = me.Workspace;
        var result = await command.Run(workspaceId, id, ct);
        return result.IsSuccess ? TypedResults.NoContent() : Problems.From(result.Error!);
    }

    private static Results<Ok<UploadDto>, ProblemHttpResult> ToResult(Result<Upload> result) => Problems.Map(result, u => TypedResults.Ok(UploadDto.From(u)));
}

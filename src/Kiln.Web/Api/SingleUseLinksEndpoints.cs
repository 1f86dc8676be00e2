using System.Net;
using Kiln.Core.Common;
using Kiln.Core.Jobs.Links;
using Kiln.Core.Storage;
using Kiln.Web.Infrastructure;

namespace Kiln.Web.Api;

public static class SingleUseLinksEndpoints
{
    /// <summary>
    /// Where single-use links are spent. Anonymous on purpose: the token is the authorization, and the recipient of a
    /// shared link usually has no account. The bytes are streamed through Kiln rather than redirected to a signed URL,
    /// which could be fetched again for minutes.
    /// </summary>
    public static IEndpointRouteBuilder MapSingleUseLinks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/links/{token}", RedeemAsync).WithTags("Jobs").AllowAnonymous().LimitPerIp("blobs", o => o.BlobsPerMinute)
            .WithName("RedeemSingleUseLink")
            .WithSummary("Download the file behind a single-use link. The first request gets the bytes; every later one answers 410 link_used (link_expired after its lifetime).")
            .Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone);
        return app;
    }

    private static async Task<IResult> RedeemAsync(string token, HttpContext http, RedeemSingleUseLinkCommand redeem, IBlobStore blobs, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-store";
        var result = await redeem.Run(token, ct);
        if (result.Error is { } e) return WantsHtml(http) ? Page(e) : Problems.From(e);
        var a = result.Value!;
        Stream stream;
        try
        {
            stream = await blobs.OpenReadAsync(a.BlobKey, ct);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return WantsHtml(http) ? Page(SingleUseLinkErrors.FileDeleted) : Problems.From(SingleUseLinkErrors.FileDeleted);
        }
        http.Response.Headers.ContentDisposition = ContentDispositionHeader.Attachment(a.Name);
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "sandbox";
        http.Response.ContentLength = a.Size;
        // No range processing: the link is spent by this one request, so a later "resume" could not be served anyway.
        return Results.Stream(stream, a.ContentType);
    }

    // A person who clicks a spent link in a browser reads a sentence, not JSON; API clients still get the problem body.
    private static bool WantsHtml(HttpContext http) =>
        http.Request.Headers.Accept.Any(v => v?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    private static IResult Page(Error e)
    {
        var heading = e.Code switch
        {
            "link_used" => "This link has already been used",
            "link_expired" => "This link has expired",
            "link_file_deleted" => "This file has been deleted",
            _ => "Link not found",
        };
        var html = $"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{WebUtility.HtmlEncode(heading)} · Kiln</title><link rel="stylesheet" href="/css/kiln.css"></head>
            <body><main class="panel" id="link-problem" data-code="{e.Code}"><h1>{WebUtility.HtmlEncode(heading)}</h1>
            <p>{WebUtility.HtmlEncode(e.Message)}</p><p><a href="/">Go to Kiln</a></p></main></body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: Problems.Status(e.Kind));
    }
}

using Kiln.Core.Jobs;
using Kiln.Core.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Jobs;

/// <summary>
/// Streams an artifact to a signed-in member through the host, so the cookie decides access and a foreign id is a
/// 404. Range requests work, which the audio player needs for seeking.
/// </summary>
public sealed class ArtifactModel(ListArtifactsQuery artifacts, IBlobStore blobs) : KilnPageModel
{
    public async Task<IActionResult> OnGetAsync(Guid id, Guid artifactId, bool inline, CancellationToken ct)
    {
        var a = await artifacts.One(Workspace, id, artifactId, ct);
        if (a is null) return NotFoundPage();
        Stream stream;
        try
        {
            stream = await blobs.OpenReadAsync(a.BlobKey, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return NotFoundPage();
        }
        // User content on Kiln's origin: it must never be sniffed or run as a page.
        Response.Headers.ContentSecurityPolicy = "sandbox";
        Response.Headers.ContentDisposition = inline ? "inline" : ContentDispositionHeader.Attachment(a.Name);
        return new FileStreamResult(stream, a.ContentType) { EnableRangeProcessing = stream.CanSeek };
    }
}

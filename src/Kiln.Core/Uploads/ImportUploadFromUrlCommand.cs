using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>
/// Creates an upload from a link instead of from the client's bytes: the file is fetched server-side (see
/// <see cref="UrlFetcher"/> for the network guards) and streamed into the blob store under the size limit, then
/// validated and finished by <see cref="UploadFinisher"/> exactly like an uploaded file. The upload row is written
/// before the first byte, so an interrupted import is a pending upload the sweeper removes with its bytes; every
/// failure after that leaves a Rejected row with no bytes, like a rejected upload. <see cref="UrlImportGate"/> caps
/// how many run at once per workspace.
/// </summary>
public sealed class ImportUploadFromUrlCommand(
    KilnDbContext db,
    IBlobStore store,
    UrlFetcher fetcher,
    UrlImportGate gate,
    UploadFinisher finisher,
    GetPlanLimitsQuery plans,
    Billing.StorageQuota storage,
    TimeProvider time,
    IOptions<UploadOptions> options,
    ILogger<ImportUploadFromUrlCommand> log)
{
    public async Task<Result<Upload>> Run(Guid workspaceId, Guid? userId, string? url, CancellationToken ct)
    {
        var parsed = UrlFetcher.Parse(url);
        if (!parsed.IsSuccess) return parsed.Error!;
        var source = parsed.Value!;
        using var slot = gate.TryEnter(workspaceId);
        if (slot is null) return UploadErrors.TooManyImports(gate.Limit);
        var o = options.Value;
        var limits = await plans.Run(workspaceId, ct);
        var max = Math.Min(o.MaxBytes, limits.MaxUploadBytes);
        var tooLarge = limits.MaxUploadBytes < o.MaxBytes ? UploadErrors.TooLargeForPlan(limits.MaxUploadBytes) : UploadErrors.TooLarge(o.MaxBytes);

        var now = time.GetUtcNow();
        var id = Ids.New();
        var upload = new Upload
        {
            Id = id,
            WorkspaceId = workspaceId,
            CreatedByUserId = userId,
            FileName = UrlFileNames.FromPath(source) ?? UrlFileNames.Fallback,
            DeclaredSize = 0,
            BlobKey = BlobKeys.Upload(workspaceId, id),
            Status = UploadStatus.Pending,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = now.Add(o.PendingLifetime).UtcDateTime,
        };
        db.Uploads.Add(upload);
        await db.SaveChangesAsync(ct);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(o.UrlTimeout);
        Error? failure;
        try
        {
            failure = await FetchAsync(upload, source, max, tooLarge, limit.Token);
        }
        catch (UrlFetchException e)
        {
            failure = e.Error;
        }
        catch (Exception) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            failure = UploadErrors.UrlTimeout(o.UrlTimeout);
        }
        catch (DbUpdateConcurrencyException)
        {
            return await DeletedMeanwhileAsync(upload);
        }
        catch (Exception e)
        {
            // The caller went away or something broke: still leave no bytes and no pending row behind.
            await CleanUpAsync(upload, e);
            throw;
        }
        try
        {
            // The fetched size against the plan's storage, as for an uploaded file at completion; over it the bytes go
            // (a link can be imported again) and the answer says how much room is left.
            failure ??= await storage.CheckAsync(workspaceId, upload.DeclaredSize, 0, StorageLimitErrors.BeforeImport, ct);
            if (failure is not null) return await finisher.RejectAsync(upload, failure, CancellationToken.None);
            return await finisher.FinishAsync(upload, ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return await DeletedMeanwhileAsync(upload);
        }
    }

    /// <summary>The upload was deleted (DELETE /api/uploads/{id}) while its link was fetched: drop what arrived since.</summary>
    private async Task<Error> DeletedMeanwhileAsync(Upload upload)
    {
        await UploadBlobs.DeleteAllAsync(store, upload, CancellationToken.None);
        return UploadErrors.DeletedDuringImport();
    }

    /// <summary>Streams the link's body into the upload's blob and names the upload; an error means nothing usable was stored.</summary>
    private async Task<Error?> FetchAsync(Upload upload, Uri source, long max, Error tooLarge, CancellationToken ct)
    {
        using var response = await fetcher.GetAsync(source, ct);
        var headers = response.Message.Content.Headers;
        var contentType = headers.ContentType?.MediaType;
        var name = UrlFileNames.FromResponse(headers.ContentDisposition, response.FinalUri);
        if (headers.ContentLength > max) return tooLarge;
        // A web page where a file was expected is the usual mistake; say so before downloading it.
        if ((name is null || !FileTypes.TryGet(name, out _, out _)) && contentType is "text/html" or "application/xhtml+xml")
            return UploadErrors.UnsupportedLink(contentType);

        await using var body = await response.Message.Content.ReadAsStreamAsync(ct);
        var limited = new LimitedReadStream(body, max, ContentSniffer.HeaderLength);
        try
        {
            await store.PutAsync(upload.BlobKey, limited, "application/octet-stream", ct);
        }
        catch (BlobTooLargeException)
        {
            return tooLarge;
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            log.LogInformation(e, "Fetching upload {UploadId} from {Host} broke off", upload.Id, source.Host);
            return UploadErrors.UrlFetchFailed($"The connection to {response.FinalUri.Host} broke off during the download; try again.");
        }

        var named = UrlFileNames.WithSupportedExtension(name, ContentSniffer.Detect(limited.Head), contentType);
        if (named is null) return UploadErrors.UnsupportedLink(contentType);
        upload.FileName = named;
        upload.DeclaredSize = limited.BytesRead;
        upload.DeclaredContentType = contentType is { Length: <= 200 } ? contentType : null;
        await db.SaveChangesAsync(CancellationToken.None);
        return null;
    }

    private async Task CleanUpAsync(Upload upload, Exception cause)
    {
        try
        {
            await finisher.RejectAsync(upload, new Error("upload_canceled", "The import was interrupted before it finished.", ErrorKind.Conflict), CancellationToken.None);
        }
        catch (Exception e)
        {
            // The row is still pending with an expiry: the sweeper deletes it and any bytes later.
            log.LogWarning(e, "Could not clean up interrupted import {UploadId} (after {Cause})", upload.Id, cause.GetType().Name);
        }
    }
}

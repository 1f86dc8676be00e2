using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Uploads;

public sealed class DeleteUploadCommand(KilnDbContext db, IBlobStore store)
{
    public async Task<Result<Guid>> Run(Guid workspaceId, Guid uploadId, CancellationToken ct)
    {
        var upload = await db.Uploads.FirstOrDefaultAsync(u => u.Id == uploadId && u.WorkspaceId == workspaceId, ct);
        if (upload is null) return UploadErrors.NotFound();
        await UploadBlobs.DeleteAllAsync(store, upload, ct);
        db.Uploads.Remove(upload);
        await db.SaveChangesAsync(ct);
        return upload.Id;
    }
}

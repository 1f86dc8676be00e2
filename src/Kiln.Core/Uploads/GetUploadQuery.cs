using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Uploads;

public sealed class GetUploadQuery(KilnDbContext db)
{
    public async Task<Result<Upload>> Run(Guid workspaceId, Guid uploadId, CancellationToken ct)
    {
        // Explicit workspace filter on top of the tenant query filter: a foreign id is indistinguishable from a missing one.
        var upload = await db.Uploads.AsNoTracking().FirstOrDefaultAsync(u => u.Id == uploadId && u.WorkspaceId == workspaceId, ct);
        return upload is null ? UploadErrors.NotFound() : upload;
    }
}

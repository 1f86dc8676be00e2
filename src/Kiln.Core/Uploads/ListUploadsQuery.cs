using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Uploads;

public sealed record UploadPage(IReadOnlyList<Upload> Items, int Page, int PageSize, int Total);

public sealed class ListUploadsQuery(KilnDbContext db)
{
    public const int MaxPageSize = 200;

    /// <summary>Newest first. <paramref name="page"/> is 1-based; out-of-range values are clamped.</summary>
    public async Task<UploadPage> Run(Guid workspaceId, int page, int pageSize, UploadStatus? status, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        var query = db.Uploads.AsNoTracking().Where(u => u.WorkspaceId == workspaceId);
        if (status is not null) query = query.Where(u => u.Status == status);
        var total = await query.CountAsync(ct);
        var rows = await query
            .OrderByDescending(u => u.CreatedAt).ThenByDescending(u => u.Id)
            .Skip(Paging.Skip(page, pageSize)).Take(pageSize)
            .ToListAsync(ct);
        return new UploadPage(rows, page, pageSize, total);
    }
}

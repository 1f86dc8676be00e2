namespace Kiln.Core.Common;

/// <summary>Offsets for page numbers that come from query strings: never negative, never overflowing.</summary>
public static class Paging
{
    /// <summary>
    /// Rows to skip for 1-based <paramref name="page"/>. A huge page number (?page=500000000) would overflow
    /// <c>(page - 1) * pageSize</c> into a negative OFFSET, which PostgreSQL rejects; this saturates instead (an empty page).
    /// </summary>
    public static int Skip(int page, int pageSize) => (int)Math.Min((long)(Math.Max(1, page) - 1) * Math.Max(0, pageSize), int.MaxValue);
}

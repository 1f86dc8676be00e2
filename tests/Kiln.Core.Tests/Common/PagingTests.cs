using Kiln.Core.Common;

namespace Kiln.Core.Tests.Common;

public sealed class PagingTests
{
    [Theory]
    [InlineData(1, 20, 0)]
    [InlineData(3, 20, 40)]
    [InlineData(0, 20, 0)]
    [InlineData(-5, 20, 0)]
    [InlineData(200_000_000, 20, int.MaxValue)] // (page - 1) * 20 overflows int: it used to become a negative OFFSET
    [InlineData(int.MaxValue, 100, int.MaxValue)]
    public void Skip_never_goes_negative_or_overflows(int page, int pageSize, int expected) =>
        Paging.Skip(page, pageSize).ShouldBe(expected);
}

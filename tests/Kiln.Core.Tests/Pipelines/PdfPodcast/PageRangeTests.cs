using Kiln.Core.Common;
using Kiln.Core.Pipelines.PdfPodcast;

namespace Kiln.Core.Tests.Pipelines.PdfPodcast;

public sealed class PageRangeTests
{
    [Theory]
    [InlineData(null, 12, "1-12", 12)]
    [InlineData("  ", 12, "1-12", 12)]
    [InlineData("1-10", 12, "1-10", 10)]
    [InlineData("3,5-7", 12, "3,5-7", 4)]
    [InlineData("7", 12, "7", 1)]
    [InlineData(" 5 - 7 , 3 ", 12, "3,5-7", 4)]
    [InlineData("1-3,2-4", 12, "1-4", 4)]
    [InlineData("4,5,6", 12, "4-6", 3)]
    [InlineData("12-12", 12, "12", 1)]
    public void Parses_valid_ranges(string? spec, int pageCount, string normalized, int count)
    {
        var result = PageRange.Parse(spec, pageCount);
        result.IsSuccess.ShouldBeTrue(result.Error?.Message);
        result.Value!.ToString().ShouldBe(normalized);
        result.Value.Count.ShouldBe(count);
    }

    [Theory]
    [InlineData("0-3", "numbered from 1")]
    [InlineData("0", "numbered from 1")]
    [InlineData("5-2", "ends before it starts")]
    [InlineData("abc", "not a page number")]
    [InlineData("1-", "not a page number")]
    [InlineData("-3", "not a page number")]
    [InlineData("1-2-3", "not a page number")]
    [InlineData("1.5", "not a page number")]
    [InlineData("1,,2", "empty part")]
    [InlineData("10-13", "only 12 pages")]
    [InlineData("13", "only 12 pages")]
    public void Rejects_invalid_ranges_with_a_readable_message(string spec, string reason)
    {
        var result = PageRange.Parse(spec, 12);
        result.IsSuccess.ShouldBeFalse();
        result.Error!.Code.ShouldBe("invalid_page_range");
        result.Error.Kind.ShouldBe(ErrorKind.Invalid);
        result.Error.Message.ShouldContain(reason);
        result.Error.Message.ShouldContain(spec);
    }
}

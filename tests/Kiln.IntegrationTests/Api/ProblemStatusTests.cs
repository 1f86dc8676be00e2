using Kiln.Core.Common;
using Kiln.Web.Infrastructure;

namespace Kiln.IntegrationTests.Api;

/// <summary>Core names the kind of failure; <see cref="Problems"/> is the one place it becomes an HTTP status.</summary>
public sealed class ProblemStatusTests
{
    public static TheoryData<ErrorKind, int> Statuses => new()
    {
        { ErrorKind.Invalid, 400 }, { ErrorKind.Unauthenticated, 401 }, { ErrorKind.PaymentRequired, 402 }, { ErrorKind.Forbidden, 403 },
        { ErrorKind.NotFound, 404 }, { ErrorKind.Conflict, 409 }, { ErrorKind.Gone, 410 }, { ErrorKind.TooLarge, 413 }, { ErrorKind.UnsupportedType, 415 },
        { ErrorKind.Unprocessable, 422 }, { ErrorKind.TooManyRequests, 429 }, { ErrorKind.UpstreamFailed, 502 }, { ErrorKind.Unavailable, 503 },
    };

    [Theory, MemberData(nameof(Statuses))]
    public void Each_kind_has_its_status(ErrorKind kind, int status) => Problems.From(new Error("x", "y", kind)).StatusCode.ShouldBe(status);

    [Fact]
    public void Every_kind_is_mapped() => Enum.GetValues<ErrorKind>().Length.ShouldBe(Statuses.Count);

    [Fact]
    public void The_documented_codes_keep_their_statuses()
    {
        Problems.From(Error.InsufficientCredits(10, 5)).StatusCode.ShouldBe(402);
        Problems.From(Error.NotFound("The job")).StatusCode.ShouldBe(404);
        Problems.From(Kiln.Core.Pipelines.PipelineErrors.InvalidOptions("x", "unknown", "no")).StatusCode.ShouldBe(422);
        Problems.From(Kiln.Core.Billing.BillingErrors.Provider("stripe", "down")).StatusCode.ShouldBe(502);
        Problems.From(Kiln.Core.Uploads.UploadErrors.TooManyImports(2)).StatusCode.ShouldBe(429);
        Problems.From(Kiln.Core.Uploads.UploadErrors.FromRejection("pdf_invalid", "bad")).StatusCode.ShouldBe(422);
        Problems.From(Kiln.Core.Uploads.UploadErrors.FromRejection("upload_too_large", "big")).StatusCode.ShouldBe(413);
        Problems.From(Error.DatabaseUnavailable).StatusCode.ShouldBe(503);
        Problems.From(Kiln.Core.Jobs.Links.SingleUseLinkErrors.Used).StatusCode.ShouldBe(410);
    }
}

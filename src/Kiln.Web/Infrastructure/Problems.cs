using Kiln.Core.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Infrastructure;

/// <summary>The one place where expected failures become RFC 9457 problem details with a stable <c>code</c>.</summary>
public static class Problems
{
    public const string TypeBase = "https://kiln.dev/problems/";

    public static ProblemHttpResult From(Error e)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = e.Code };
        if (e.Extensions is not null)
            foreach (var (k, v) in e.Extensions) extensions[k] = v;
        return TypedResults.Problem(statusCode: Status(e.Kind), title: e.Message, type: TypeBase + e.Code, extensions: extensions);
    }

    /// <summary>The one place a kind of failure becomes an HTTP status.</summary>
    public static int Status(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        ErrorKind.PaymentRequired => StatusCodes.Status402PaymentRequired,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Gone => StatusCodes.Status410Gone,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.UnsupportedType => StatusCodes.Status415UnsupportedMediaType,
        ErrorKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        ErrorKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        ErrorKind.UpstreamFailed => StatusCodes.Status502BadGateway,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Every ErrorKind needs an HTTP status."),
    };

    public static ProblemHttpResult NotFound(string what) => From(Error.NotFound(what));

    /// <summary>
    /// Maps a result to its typed success (200/201/202/204 with a projection), or to its problem. The typed success
    /// puts the response schema in the OpenAPI document; declare the problem statuses with <c>.ProducesProblem</c>.
    /// </summary>
    public static Results<TOk, ProblemHttpResult> Map<T, TOk>(Result<T> result, Func<T, TOk> ok) where TOk : IResult =>
        result.Error is { } e ? From(e) : ok(result.Value!);
}

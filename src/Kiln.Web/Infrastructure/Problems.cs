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
        return TypedResults.Problem(statusCode: e.Status, title: e.Message, type: TypeBase + e.Code, extensions: extensions);
    }

    public static ProblemHttpResult NotFound(string what) => From(Error.NotFound(what));

    /// <summary>
    /// Maps a result to its typed success (200/201/202/204 with a projection), or to its problem. The typed success
    /// puts the response schema in the OpenAPI document; declare the problem statuses with <c>.ProducesProblem</c>.
    /// </summary>
    public static Results<TOk, ProblemHttpResult> Map<T, TOk>(Result<T> result, Func<T, TOk> ok) where TOk : IResult =>
        result.Error is { } e ? From(e) : ok(result.Value!);
}

using Kiln.Core.Common;

namespace Kiln.Web.Infrastructure;

/// <summary>The one place where expected failures become RFC 9457 problem details with a stable <c>code</c>.</summary>
public static class Problems
{
    public const string TypeBase = "https://kiln.dev/problems/";

    public static IResult From(Error e)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = e.Code };
        if (e.Extensions is not null)
            foreach (var (k, v) in e.Extensions) extensions[k] = v;
        return Results.Problem(statusCode: e.Status, title: e.Message, type: TypeBase + e.Code, extensions: extensions);
    }

    public static IResult NotFound(string what) => From(Error.NotFound(what));

    /// <summary>Maps a result to 200/201 with a projection, or to its problem.</summary>
    public static IResult Map<T>(Result<T> result, Func<T, IResult> ok) => result.Error is { } e ? From(e) : ok(result.Value!);
}

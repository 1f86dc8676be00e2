using Kiln.Core.Common;

namespace Kiln.Web.Infrastructure;

/// <summary>Turns a use case's <see cref="Error"/> into an RFC 9457 problem detail with its stable code.</summary>
public static class Problems
{
    public static IResult From(Error e)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = e.Code };
        if (e.Extensions is not null)
        {
            foreach (var (key, value) in e.Extensions) extensions[key] = value;
        }
        return Results.Problem(statusCode: e.Status, title: e.Message, type: $"https://kiln.dev/problems/{e.Code}", extensions: extensions);
    }
}

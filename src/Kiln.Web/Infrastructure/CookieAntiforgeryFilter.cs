using Kiln.Core.Common;
using Microsoft.AspNetCore.Antiforgery;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// The API accepts the browser's auth cookie, which a foreign site could make the browser send: unsafe requests that
/// authenticate by cookie must carry the antiforgery token in the <see cref="HeaderName"/> header. Bearer tokens and
/// API keys are not sent by browsers on their own, so those requests are not checked.
/// </summary>
public sealed class CookieAntiforgeryFilter(IAntiforgery antiforgery) : IEndpointFilter
{
    public const string HeaderName = "RequestVerificationToken";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var method = http.Request.Method;
        var safe = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
        var bearer = http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal);
        if (!safe && !bearer && http.User.Identity?.IsAuthenticated == true)
        {
            try
            {
                await antiforgery.ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                return Problems.From(new Error("antiforgery_failed",
                    $"Cookie-authenticated requests must send the page's antiforgery token in the {HeaderName} header; reload the page and retry.", ErrorKind.Invalid));
            }
        }
        return await next(context);
    }
}

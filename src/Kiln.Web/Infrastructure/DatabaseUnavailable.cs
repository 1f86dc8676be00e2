using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Diagnostics;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// While the database is unreachable (PostgreSQL restarting or failing over, SQLite locked past its timeout) a request
/// answers 503 with <c>Retry-After: 2</c> — problem details with code <c>database_unavailable</c> for API callers, a
/// short "try again in a moment" page for browsers — instead of a 500 that reads like a bug. Creating a job is safe to
/// repeat with the same <c>Idempotency-Key</c> (the new-job form sends one with every post).
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(ILogger<DatabaseUnavailableHandler> log) : IExceptionHandler
{
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (!DatabaseOutage.IsUnavailable(exception) || http.Response.HasStarted) return false;
        Unavailable(log, http.Request.Method, http.Request.Path, exception.GetBaseException().Message);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        if (WantsPage(http.Request))
        {
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.WriteAsync(Page.Replace("{back}", System.Net.WebUtility.HtmlEncode(http.Request.PathBase + http.Request.Path), StringComparison.Ordinal), cancellationToken);
        }
        else await Problems.From(Error.DatabaseUnavailable).ExecuteAsync(http);
        return true;
    }

    private static bool WantsPage(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/blobs") && !request.Path.StartsWithSegments("/webhooks")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    // Self-contained on purpose: the layout reads the database (balance, workspace) and would fail the same way.
    private const string Page = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Try again in a moment · Kiln</title><link rel="stylesheet" href="/css/kiln.css"></head>
        <body><main class="container">
        <h1>Try again in a moment</h1>
        <p role="alert">Kiln cannot reach its database right now (it may be restarting), so this request was not completed.
        Try again in a moment.</p>
        <p><a href="{back}">Back to the page</a> · <a href="/">Home</a></p>
        </main></body></html>
        """;

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "The database is unavailable: {Method} {Path} answered 503 ({Reason})")]
    private static partial void Unavailable(ILogger log, string method, string path, string reason);
}

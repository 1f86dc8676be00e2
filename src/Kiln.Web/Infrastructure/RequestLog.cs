using System.Diagnostics;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

/// <summary>Bound from <c>Kiln:Logging</c>: the per-request log line.</summary>
public sealed class RequestLogOptions
{
    public const string Section = "Kiln:Logging";

    /// <summary>One JSON line per request (category <c>Kiln.Requests</c>). On by default.</summary>
    public bool RequestLogs { get; set; } = true;
    /// <summary>
    /// The share of successful requests logged, 0 to 1 (default 1: all). Server errors (5xx, or an exception) are always
    /// logged; health probes and <c>/metrics</c> scrapes only when they fail.
    /// </summary>
    public double RequestSampleRate { get; set; } = 1;
    /// <summary>
    /// The share of successful reads (GET and HEAD answered below 400) logged, 0 to 1 (default 0.01); the lower of this
    /// and <see cref="RequestSampleRate"/> applies. Scripts polling a job's status would otherwise fill the log: at one
    /// line in ten, writing them still took about 15 % of the status endpoint's CPU (the line and the console logger's
    /// queue thread). Every change, refusal and failure is still logged, and the <c>http_server_request_duration</c>
    /// metric counts every request.
    /// </summary>
    public double ReadSampleRate { get; set; } = 0.01;
}

/// <summary>
/// One structured line per request: method, route template (not the raw path, so ids do not explode the cardinality),
/// status, duration in milliseconds, trace id and workspace id. The JSON console formatter writes it as one JSON object.
/// </summary>
internal sealed partial class RequestLog(RequestDelegate next, IOptionsMonitor<RequestLogOptions> options, ILoggerFactory loggers)
{
    private readonly ILogger _log = loggers.CreateLogger("Kiln.Requests");

    public async Task InvokeAsync(HttpContext http)
    {
        var o = options.CurrentValue;
        if (!o.RequestLogs || !_log.IsEnabled(LogLevel.Information))
        {
            await next(http);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var failed = false;
        try
        {
            await next(http);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            var status = failed && !http.Response.HasStarted ? StatusCodes.Status500InternalServerError : http.Response.StatusCode;
            if (ShouldLog(http, status, failed, o))
            {
                var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                var workspace = http.RequestServices?.GetService<CurrentUser>()?.WorkspaceId;
                var traceId = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
                var ms = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
                if (status >= 500 || failed) Failed(_log, http.Request.Method, route ?? "(none)", status, ms, traceId, workspace);
                else Served(_log, http.Request.Method, route ?? "(none)", status, ms, traceId, workspace);
            }
        }
    }

    private static bool ShouldLog(HttpContext http, int status, bool failed, RequestLogOptions o)
    {
        if (failed || status >= 500) return true;
        var path = http.Request.Path;
        if (path.StartsWithSegments("/health") || path.StartsWithSegments(WebTelemetry.MetricsPath)) return false;
        var read = status < 400 && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method));
        var rate = read ? Math.Min(o.RequestSampleRate, o.ReadSampleRate) : o.RequestSampleRate;
        return rate >= 1 || (rate > 0 && Random.Shared.NextDouble() < rate);
    }

    [LoggerMessage(EventId = 1, EventName = "Request", Level = LogLevel.Information,
        Message = "{Method} {Route} answered {Status} in {DurationMs} ms (trace {TraceId}, workspace {WorkspaceId})")]
    private static partial void Served(ILogger log, string method, string route, int status, double durationMs, string traceId, Guid? workspaceId);

    [LoggerMessage(EventId = 2, EventName = "RequestFailed", Level = LogLevel.Warning,
        Message = "{Method} {Route} answered {Status} in {DurationMs} ms (trace {TraceId}, workspace {WorkspaceId})")]
    private static partial void Failed(ILogger log, string method, string route, int status, double durationMs, string traceId, Guid? workspaceId);
}

using System.Net;
using Kiln.Core.Audit;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// The request's client for the audit log. The remote address is the one the forwarded-headers middleware settled on
/// (so a trusted proxy's X-Forwarded-For counts, a forged one from anyone else does not).
/// </summary>
public sealed class HttpAuditOrigin(IHttpContextAccessor http) : IAuditOrigin
{
    public IPAddress? RemoteIp => http.HttpContext?.Connection.RemoteIpAddress;
    public string? UserAgent => http.HttpContext?.Request.Headers.UserAgent.ToString();
}

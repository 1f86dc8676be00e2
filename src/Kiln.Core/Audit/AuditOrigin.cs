using System.Net;
using System.Net.Sockets;

namespace Kiln.Core.Audit;

/// <summary>Where the current action came from. The web host fills it from the request; workers and the CLI have none.</summary>
public interface IAuditOrigin
{
    IPAddress? RemoteIp { get; }
    string? UserAgent { get; }
}

public sealed class NoAuditOrigin : IAuditOrigin
{
    public IPAddress? RemoteIp => null;
    public string? UserAgent => null;
}

/// <summary>
/// An address is personal data; the audit log keeps its network only — the /24 of an IPv4 address, the /48 of an IPv6
/// one — which still tells an operator "the same office" or "another continent" without naming a household.
/// </summary>
public static class IpTruncation
{
    public static string? Truncate(IPAddress? ip)
    {
        if (ip is null) return null;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        var bytes = ip.GetAddressBytes();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[3] = 0;
            return new IPAddress(bytes) + "/24";
        }
        for (var i = 6; i < bytes.Length; i++) bytes[i] = 0;
        return new IPAddress(bytes) + "/48";
    }
}

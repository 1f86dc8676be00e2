using System.Net;
using System.Net.Sockets;

namespace Kiln.Core.Common;

/// <summary>
/// Which IP addresses a server-side fetch of a user's link may connect to: public unicast only. Refused are loopback,
/// private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata endpoints, fe80::/10), unspecified,
/// multicast, broadcast, CGNAT (100.64/10) and the other special-purpose ranges — whether written directly, as an
/// IPv4-mapped IPv6 address (::ffff:127.0.0.1), or embedded in NAT64 and 6to4 prefixes.
/// </summary>
public static class UrlAddressPolicy
{
    private static readonly (uint Network, int Bits)[] ForbiddenV4 =
    [
        (V4(0, 0, 0, 0), 8),        // "this network", incl. 0.0.0.0
        (V4(10, 0, 0, 0), 8),       // RFC 1918
        (V4(100, 64, 0, 0), 10),    // CGNAT, RFC 6598
        (V4(127, 0, 0, 0), 8),      // loopback
        (V4(169, 254, 0, 0), 16),   // link-local, cloud metadata (169.254.169.254)
        (V4(172, 16, 0, 0), 12),    // RFC 1918
        (V4(192, 0, 0, 0), 24),     // IETF protocol assignments
        (V4(192, 0, 2, 0), 24),     // documentation
        (V4(192, 88, 99, 0), 24),   // 6to4 relay anycast
        (V4(192, 168, 0, 0), 16),   // RFC 1918
        (V4(198, 18, 0, 0), 15),    // benchmarking
        (V4(198, 51, 100, 0), 24),  // documentation
        (V4(203, 0, 113, 0), 24),   // documentation
        (V4(224, 0, 0, 0), 4),      // multicast
        (V4(240, 0, 0, 0), 4),      // reserved, incl. 255.255.255.255 broadcast
    ];

    /// <summary>True when a fetch may connect to <paramref name="address"/>.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(ToUInt32(address)),
            AddressFamily.InterNetworkV6 => IsPublicV6(address),
            _ => false,
        };
    }

    private static bool IsPublicV4(uint a)
    {
        foreach (var (network, bits) in ForbiddenV4)
            if ((a & Mask(bits)) == network) return false;
        return true;
    }

    private static bool IsPublicV6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback)) return false;
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast) return false;
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if ((b[0] & 0xFE) == 0xFC) return false;                                    // fc00::/7 unique local
        if (b[..12].IndexOfAnyExcept((byte)0) < 0) return false;                    // ::/96 IPv4-compatible (deprecated)
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)            // 64:ff9b::/96 NAT64 → the IPv4 inside;
            return b[4..12].IndexOfAnyExcept((byte)0) < 0 && IsPublicV4(ReadV4(b[12..])); // 64:ff9b:1::/48 is local-use
        if (b[0] == 0x20 && b[1] == 0x02) return IsPublicV4(ReadV4(b[2..6]));        // 2002::/16 6to4 → the IPv4 inside
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return false; // 2001:db8::/32 documentation
        if (b[0] == 0x01 && b[1..8].IndexOfAnyExcept((byte)0) < 0) return false;       // 100::/64 discard
        return true;
    }

    private static uint V4(byte a, byte b, byte c, byte d) => ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;
    private static uint Mask(int bits) => bits == 0 ? 0 : uint.MaxValue << (32 - bits);
    private static uint ReadV4(ReadOnlySpan<byte> b) => V4(b[0], b[1], b[2], b[3]);

    private static uint ToUInt32(IPAddress v4)
    {
        Span<byte> b = stackalloc byte[4];
        v4.TryWriteBytes(b, out _);
        return ReadV4(b);
    }
}

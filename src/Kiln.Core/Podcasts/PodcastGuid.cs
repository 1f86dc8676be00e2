using System.Security.Cryptography;
using System.Text;

namespace Kiln.Core.Podcasts;

/// <summary>
/// Podcasting 2.0 <c>podcast:guid</c>: a UUIDv5 (RFC 9562, SHA-1) of the feed URL with its scheme and trailing slashes
/// removed, in the podcast namespace <c>ead4c236-bf58-58c6-a2c6-a6b28d128cb6</c>.
/// </summary>
public static class PodcastGuid
{
    public static readonly Guid Namespace = Guid.Parse("ead4c236-bf58-58c6-a2c6-a6b28d128cb6");

    public static Guid ForFeedUrl(string feedUrl)
    {
        var name = feedUrl.Trim();
        var scheme = name.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) name = name[(scheme + 3)..];
        return V5(Namespace, name.TrimEnd('/'));
    }

    public static Guid V5(Guid ns, string name)
    {
        var nsBytes = ns.ToByteArray(bigEndian: true);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nsBytes.Length + nameBytes.Length];
        nsBytes.CopyTo(input, 0);
        nameBytes.CopyTo(input, nsBytes.Length);
#pragma warning disable CA5350 // SHA-1 is what UUIDv5 is defined with; it is an identifier, not a security hash.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Core.Common;

/// <summary>HMAC webhook signatures. Every comparison is constant-time; every timestamp is checked both ways.</summary>
public static class WebhookSignatures
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    public static Error Missing(string header) => new("invalid_signature", $"The {header} header is missing or malformed.", ErrorKind.Invalid);
    public static readonly Error Mismatch = new("invalid_signature", "The webhook signature does not match.", ErrorKind.Invalid);
    public static readonly Error Stale = new("stale_signature", "The webhook timestamp is outside the tolerance.", ErrorKind.Invalid);

    public static byte[] Hmac(string secret, string prefix, ReadOnlySpan<byte> body)
    {
        var key = Encoding.UTF8.GetBytes(secret);
        return Hmac(key, prefix, body);
    }

    public static byte[] Hmac(byte[] key, string prefix, ReadOnlySpan<byte> body)
    {
        using var h = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        h.AppendData(Encoding.UTF8.GetBytes(prefix));
        h.AppendData(body);
        return h.GetHashAndReset();
    }

    internal static bool FreshEnough(long unixSeconds, TimeProvider clock)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        return Math.Abs(now - unixSeconds) <= (long)Tolerance.TotalSeconds;
    }

    internal static bool HexEquals(byte[] expected, string hex)
    {
        if (hex.Length != expected.Length * 2) return false;
        byte[] actual;
        try { actual = Convert.FromHexString(hex); } catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    internal static bool TryUnix(string? s, out long value) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}

/// <summary>
/// Standard Webhooks (the sandbox payment provider verifies it, outbound job webhooks sign with it): <c>webhook-id</c>, <c>webhook-timestamp</c> and
/// <c>webhook-signature: v1,base64(HMAC-SHA256("{id}.{timestamp}.{body}"))</c>, space-separated when several.
/// A secret of the form <c>whsec_base64</c> is used as raw key bytes, anything else as UTF-8.
/// </summary>
public sealed class StandardWebhookVerifier(TimeProvider clock)
{
    public Error? Verify(ReadOnlySpan<byte> body, string? id, string? timestamp, string? signatures, string secret)
    {
        if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(signatures) || !WebhookSignatures.TryUnix(timestamp, out var ts))
            return WebhookSignatures.Missing("webhook-signature");
        var expected = WebhookSignatures.Hmac(Key(secret), $"{id}.{timestamp}.", body);
        var ok = false;
        foreach (var sig in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = sig.Split(',', 2);
            if (parts.Length != 2 || parts[0] != "v1") continue;
            byte[] actual;
            try { actual = Convert.FromBase64String(parts[1]); } catch (FormatException) { continue; }
            ok |= actual.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, actual);
        }
        if (!ok) return WebhookSignatures.Mismatch;
        return WebhookSignatures.FreshEnough(ts, clock) ? null : WebhookSignatures.Stale;
    }

    public static string Sign(string secret, string id, long timestamp, ReadOnlySpan<byte> body) =>
        "v1," + Convert.ToBase64String(WebhookSignatures.Hmac(Key(secret), $"{id}.{timestamp}.", body));

    /// <summary>
    /// Standard Webhooks secrets are <c>whsec_</c> + base64. A secret that is not (an operator's typo) is used as
    /// UTF-8 text rather than turning every delivery into a 500.
    /// </summary>
    internal static byte[] Key(string secret)
    {
        if (secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            var encoded = secret["whsec_".Length..];
            var buffer = new byte[encoded.Length];
            if (Convert.TryFromBase64String(encoded, buffer, out var written)) return buffer[..written];
        }
        return Encoding.UTF8.GetBytes(secret);
    }
}

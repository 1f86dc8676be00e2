using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Common;

namespace Kiln.Core.Billing;

/// <summary>HMAC webhook signatures. Every comparison is constant-time; every timestamp is checked both ways.</summary>
public static class WebhookSignatures
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    public static Error Missing(string header) => new("invalid_signature", $"The {header} header is missing or malformed.", 400);
    public static readonly Error Mismatch = new("invalid_signature", "The webhook signature does not match.", 400);
    public static readonly Error Stale = new("stale_signature", "The webhook timestamp is outside the tolerance.", 400);

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

/// <summary><c>Stripe-Signature: t=…,v1=…[,v1=…]</c>, HMAC-SHA256 over "{t}.{body}" with the endpoint secret (whsec_…).</summary>
public sealed class StripeSignatureVerifier(TimeProvider clock)
{
    public Error? Verify(ReadOnlySpan<byte> body, string? header, string secret)
    {
        if (string.IsNullOrWhiteSpace(header)) return WebhookSignatures.Missing("Stripe-Signature");
        string? t = null;
        var v1 = new List<string>();
        foreach (var part in header.Split(','))
        {
            var kv = part.Trim().Split('=', 2);
            if (kv.Length != 2) continue;
            if (kv[0] == "t") t = kv[1];
            else if (kv[0] == "v1") v1.Add(kv[1]);
        }
        if (!WebhookSignatures.TryUnix(t, out var ts) || v1.Count == 0) return WebhookSignatures.Missing("Stripe-Signature");
        var expected = WebhookSignatures.Hmac(secret, $"{t}.", body);
        // Check every candidate so timing does not reveal which one matched.
        var ok = false;
        foreach (var candidate in v1) ok |= WebhookSignatures.HexEquals(expected, candidate);
        if (!ok) return WebhookSignatures.Mismatch;
        return WebhookSignatures.FreshEnough(ts, clock) ? null : WebhookSignatures.Stale;
    }
}

/// <summary><c>Paddle-Signature: ts=…;h1=…[;h1=…]</c>, HMAC-SHA256 over "{ts}:{body}".</summary>
public sealed class PaddleSignatureVerifier(TimeProvider clock)
{
    public Error? Verify(ReadOnlySpan<byte> body, string? header, string secret)
    {
        if (string.IsNullOrWhiteSpace(header)) return WebhookSignatures.Missing("Paddle-Signature");
        string? ts = null;
        var h1 = new List<string>();
        foreach (var part in header.Split(';'))
        {
            var kv = part.Trim().Split('=', 2);
            if (kv.Length != 2) continue;
            if (kv[0] == "ts") ts = kv[1];
            else if (kv[0] == "h1") h1.Add(kv[1]);
        }
        if (!WebhookSignatures.TryUnix(ts, out var t) || h1.Count == 0) return WebhookSignatures.Missing("Paddle-Signature");
        var expected = WebhookSignatures.Hmac(secret, $"{ts}:", body);
        var ok = false;
        foreach (var candidate in h1) ok |= WebhookSignatures.HexEquals(expected, candidate);
        if (!ok) return WebhookSignatures.Mismatch;
        return WebhookSignatures.FreshEnough(t, clock) ? null : WebhookSignatures.Stale;
    }
}

/// <summary>
/// Standard Webhooks (used by the sandbox): <c>webhook-id</c>, <c>webhook-timestamp</c> and
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

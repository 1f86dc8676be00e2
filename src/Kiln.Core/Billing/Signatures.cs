using Kiln.Core.Common;

namespace Kiln.Core.Billing;

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

using System.Text;
using Kiln.Core.Billing;
using Kiln.Core.Common;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Core.Tests.Billing;

public sealed class SignatureTests
{
    private const string Secret = "whsec_test_secret";
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\"}");
    private static readonly byte[] Tampered = Encoding.UTF8.GetBytes("{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\" }");

    private static string Hex(string secret, string prefix, byte[] body) => Convert.ToHexStringLower(WebhookSignatures.Hmac(secret, prefix, body));

    private static string StripeHeader(long t, params string[] v1) => $"t={t}," + string.Join(",", v1.Select(s => "v1=" + s));

    [Fact]
    public void Stripe_vectors()
    {
        var v = new StripeSignatureVerifier(new FakeTimeProvider(Now));
        var t = Now.ToUnixTimeSeconds();
        var good = Hex(Secret, $"{t}.", Body);

        v.Verify(Body, StripeHeader(t, good), Secret).ShouldBeNull();
        v.Verify(Body, StripeHeader(t, Hex("wrong", $"{t}.", Body), good) + ",v0=abc", Secret).ShouldBeNull(); // several v1, one valid
        v.Verify(Tampered, StripeHeader(t, good), Secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, StripeHeader(t, Hex("whsec_other", $"{t}.", Body)), Secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, StripeHeader(t, Hex("a", $"{t}.", Body), Hex("b", $"{t}.", Body)), Secret)!.Code.ShouldBe("invalid_signature");
        var stale = t - 301;
        v.Verify(Body, StripeHeader(stale, Hex(Secret, $"{stale}.", Body)), Secret)!.Code.ShouldBe("stale_signature");
        var future = t + 301;
        v.Verify(Body, StripeHeader(future, Hex(Secret, $"{future}.", Body)), Secret)!.Code.ShouldBe("stale_signature");
        var edge = t - 300;
        v.Verify(Body, StripeHeader(edge, Hex(Secret, $"{edge}.", Body)), Secret).ShouldBeNull();
        v.Verify(Body, null, Secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, "", Secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, $"t={t}", Secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, $"v1={good}", Secret)!.Code.ShouldBe("invalid_signature");
        // The timestamp is signed: moving it invalidates the signature.
        v.Verify(Body, StripeHeader(t + 1, good), Secret)!.Code.ShouldBe("invalid_signature");
    }

    [Fact]
    public void Stripe_known_vector_from_independent_hmac()
    {
        // The expected value is computed with the framework's HMAC class, not the code under test.
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes(Secret));
        var expected = Convert.ToHexStringLower(hmac.ComputeHash(Encoding.UTF8.GetBytes("1700000000.{\"a\":1}")));
        var v = new StripeSignatureVerifier(new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1700000000)));
        v.Verify(Encoding.UTF8.GetBytes("{\"a\":1}"), $"t=1700000000,v1={expected}", Secret).ShouldBeNull();
    }

    [Fact]
    public void Paddle_vectors()
    {
        const string secret = "pdl_ntfset_test";
        var v = new PaddleSignatureVerifier(new FakeTimeProvider(Now));
        var ts = Now.ToUnixTimeSeconds();
        var good = Hex(secret, $"{ts}:", Body);

        v.Verify(Body, $"ts={ts};h1={good}", secret).ShouldBeNull();
        v.Verify(Body, $"ts={ts};h1={Hex("old", $"{ts}:", Body)};h1={good}", secret).ShouldBeNull();
        v.Verify(Tampered, $"ts={ts};h1={good}", secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, $"ts={ts};h1={Hex("other", $"{ts}:", Body)}", secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, $"ts={ts};h1={Hex(secret, $"{ts}.", Body)}", secret)!.Code.ShouldBe("invalid_signature"); // Stripe's separator
        var stale = ts - 301;
        v.Verify(Body, $"ts={stale};h1={Hex(secret, $"{stale}:", Body)}", secret)!.Code.ShouldBe("stale_signature");
        var future = ts + 301;
        v.Verify(Body, $"ts={future};h1={Hex(secret, $"{future}:", Body)}", secret)!.Code.ShouldBe("stale_signature");
        v.Verify(Body, null, secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, $"h1={good}", secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, $"ts={ts};h1=zz", secret)!.Code.ShouldBe("invalid_signature");
    }

    [Fact]
    public void Standard_webhook_vectors()
    {
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var v = new StandardWebhookVerifier(new FakeTimeProvider(Now));
        var ts = Now.ToUnixTimeSeconds();
        var tsText = ts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var good = StandardWebhookVerifier.Sign(secret, "msg_1", ts, Body);

        v.Verify(Body, "msg_1", tsText, good, secret).ShouldBeNull();
        v.Verify(Body, "msg_1", tsText, $"v1,{Convert.ToBase64String(new byte[32])} {good}", secret).ShouldBeNull();
        v.Verify(Tampered, "msg_1", tsText, good, secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, "msg_2", tsText, good, secret)!.Code.ShouldBe("invalid_signature"); // the id is signed
        v.Verify(Body, "msg_1", tsText, StandardWebhookVerifier.Sign("whsec_" + Convert.ToBase64String(new byte[24]), "msg_1", ts, Body), secret)!
            .Code.ShouldBe("invalid_signature");
        v.Verify(Body, "msg_1", tsText, good.Replace("v1,", "v2,", StringComparison.Ordinal), secret)!.Code.ShouldBe("invalid_signature");
        var stale = (ts - 301).ToString(System.Globalization.CultureInfo.InvariantCulture);
        v.Verify(Body, "msg_1", stale, StandardWebhookVerifier.Sign(secret, "msg_1", ts - 301, Body), secret)!.Code.ShouldBe("stale_signature");
        var future = (ts + 301).ToString(System.Globalization.CultureInfo.InvariantCulture);
        v.Verify(Body, "msg_1", future, StandardWebhookVerifier.Sign(secret, "msg_1", ts + 301, Body), secret)!.Code.ShouldBe("stale_signature");
        v.Verify(Body, null, tsText, good, secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, "msg_1", null, good, secret)!.Code.ShouldBe("invalid_signature");
        v.Verify(Body, "msg_1", tsText, null, secret)!.Code.ShouldBe("invalid_signature");
    }
}

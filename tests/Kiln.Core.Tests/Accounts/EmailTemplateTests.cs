using Kiln.Core.Accounts.Email;
using Kiln.Core.Accounts.TwoFactor;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Tests.Accounts;

public sealed class EmailTemplateTests
{
    [Fact]
    public void Names_are_escaped_in_the_html_body_and_the_link_is_in_both_bodies()
    {
        var link = "https://kiln.example/account/reset-password?token=kat_abc&x=1";
        var email = EmailTemplates.PasswordReset("<script>alert(1)</script> Ada", link);
        email.Kind.ShouldBe("password_reset");
        email.Html.ShouldNotContain("<script>");
        email.Html.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt; Ada");
        email.Html.ShouldContain("href=\"https://kiln.example/account/reset-password?token=kat_abc&amp;x=1\"");
        email.Text.ShouldContain(link);
        email.Text.ShouldContain("1 hour");
    }

    [Fact]
    public void Notification_emails_say_where_to_switch_them_off_and_account_emails_do_not()
    {
        EmailTemplates.JobFinished(null, "noop", "http://x/jobs/1").Text.ShouldContain(EmailTemplates.Unsubscribe);
        EmailTemplates.CreditsLow(null, "Team", 3, "http://x/credits").Text.ShouldContain(EmailTemplates.Unsubscribe);
        EmailTemplates.VerifyEmail(null, "http://x/v").Text.ShouldNotContain(EmailTemplates.Unsubscribe);
    }

    [Fact]
    public void Retries_wait_twice_as_long_each_time_up_to_the_cap()
    {
        var options = Options.Create(new EmailOptions { BackoffBaseSeconds = 15, MaxBackoffSeconds = 100 });
        var dispatcher = new EmailDispatcher(null!, null!, options, TimeProvider.System, NullLogger<EmailDispatcher>.Instance);
        dispatcher.Backoff(1).ShouldBe(TimeSpan.FromSeconds(15));
        dispatcher.Backoff(2).ShouldBe(TimeSpan.FromSeconds(30));
        dispatcher.Backoff(3).ShouldBe(TimeSpan.FromSeconds(60));
        dispatcher.Backoff(4).ShouldBe(TimeSpan.FromSeconds(100));
        dispatcher.Backoff(500).ShouldBe(TimeSpan.FromSeconds(100));
    }

    [Fact]
    public void Recovery_codes_match_however_they_are_typed()
    {
        TwoFactorService.HashCode("ab3de-fg7hj").ShouldBe(TwoFactorService.HashCode(" AB3DE FG7HJ "));
        TwoFactorService.HashCode("ab3de-fg7hj").ShouldNotBe(TwoFactorService.HashCode("ab3de-fg7hk"));
    }

    [Fact]
    public void The_otpauth_uri_names_the_issuer_and_account_and_its_qr_code_is_an_svg()
    {
        var uri = TwoFactorService.OtpAuthUri("ada+test@example.com", "JBSWY3DPEHPK3PXP");
        uri.ShouldBe("otpauth://totp/Kiln:ada%2Btest%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Kiln&digits=6&period=30");
        TwoFactorService.QrSvg(uri).ShouldStartWith("<svg");
    }

    [Fact]
    public void The_test_authenticator_matches_the_rfc_6238_sha1_vectors()
    {
        // RFC 6238 appendix B, SHA-1 key "12345678901234567890" (base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ), last six digits.
        const string key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        Support.Totp.Code(key, DateTimeOffset.FromUnixTimeSeconds(59)).ShouldBe("287082");
        Support.Totp.Code(key, DateTimeOffset.FromUnixTimeSeconds(1111111109)).ShouldBe("081804");
        Support.Totp.Code(key, DateTimeOffset.FromUnixTimeSeconds(20000000000)).ShouldBe("353130");
    }
}

using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Kiln.Core.Accounts.Email;

/// <summary>Sends one message. A failure that may pass (server down, 4xx) throws <see cref="EmailDeferredException"/>; a refusal for good throws <see cref="EmailRejectedException"/>.</summary>
public interface IEmailSender
{
    Task SendAsync(OutboxEmail email, CancellationToken ct);
}

public sealed class EmailDeferredException(string message, Exception? inner = null) : Exception(message, inner);
public sealed class EmailRejectedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>SMTP through MailKit: one connection per batch would be faster, but a pass sends few emails and a fresh connection survives server restarts.</summary>
public sealed class SmtpEmailSender(IOptions<EmailOptions> options) : IEmailSender
{
    public async Task SendAsync(OutboxEmail email, CancellationToken ct)
    {
        var o = options.Value;
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(o.FromName, o.FromAddress));
        message.To.Add(MailboxAddress.Parse(email.ToAddress));
        message.Subject = email.Subject;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(DomainOf(o.FromAddress));
        message.Headers.Add("X-Kiln-Email-Id", email.Id.ToString());
        message.Body = new BodyBuilder { TextBody = email.TextBody, HtmlBody = email.HtmlBody }.ToMessageBody();

        using var client = new SmtpClient { Timeout = (int)TimeSpan.FromSeconds(30).TotalMilliseconds };
        try
        {
            var security = o.SmtpSecurity switch
            {
                SmtpSecurity.None => SecureSocketOptions.None,
                SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.StartTlsWhenAvailable,
            };
            await client.ConnectAsync(o.SmtpHost!, o.SmtpPort, security, ct);
            if (!string.IsNullOrEmpty(o.SmtpUserName)) await client.AuthenticateAsync(o.SmtpUserName, o.SmtpPassword ?? "", ct);
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(quit: true, ct);
        }
        catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 500 && ex.ErrorCode is SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.MessageNotAccepted)
        {
            throw new EmailRejectedException($"The SMTP server refused the message: {(int)ex.StatusCode} {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw new EmailDeferredException($"Could not send through {o.SmtpHost}:{o.SmtpPort}: {ex.Message}", ex);
        }
    }

    private static string DomainOf(string address) => address.LastIndexOf('@') is var at and > 0 ? address[(at + 1)..] : "localhost";
}

using System.Net;
using System.Text;

namespace Kiln.Core.Accounts.Email;

/// <summary>A rendered email: both a plain-text and an HTML body, as every mail client can show one of them.</summary>
public sealed record EmailContent(string Kind, string Subject, string Text, string Html);

/// <summary>
/// Kiln's emails. Each is a few paragraphs and at most one action link; the HTML is the same text, escaped, in a plain
/// layout (no images, no tracking, no external CSS) so it reads the same in every client.
/// </summary>
public static class EmailTemplates
{
    public static EmailContent VerifyEmail(string? name, string link) => Build("verify_email", "Confirm your email address for Kiln", name,
        ["Please confirm that this is your email address, so you can buy credits and get your free credits."],
        ("Confirm my email address", link), "The link works once and for 24 hours. If you did not sign up for Kiln, ignore this email.");

    public static EmailContent PasswordReset(string? name, string link) => Build("password_reset", "Reset your Kiln password", name,
        ["Someone (we hope you) asked to reset the password of your Kiln account."],
        ("Choose a new password", link), "The link works once and for 1 hour. Setting a new password signs you out on every device. "
            + "If you did not ask for this, ignore this email: your password stays as it is.");

    public static EmailContent ConfirmEmailChange(string? name, string newEmail, string link) => Build("email_change_confirm", "Confirm your new email address for Kiln", name,
        [$"You asked to change the email address of your Kiln account to {newEmail}. Confirm it to make the change."],
        ("Confirm the new address", link), "The link works once and for 24 hours. If you did not ask for this, ignore this email.");

    public static EmailContent EmailChanged(string? name, string newEmail) => Build("email_changed", "Your Kiln email address was changed", name,
        [$"The email address of your Kiln account was changed to {newEmail}. From now on, sign in with the new address.",
         "If you did not make this change, reset your password at once and contact the operators of this Kiln installation."], null, null);

    public static EmailContent PasswordChanged(string? name) => Build("password_changed", "Your Kiln password was changed", name,
        ["The password of your Kiln account was changed, and every device was signed out.",
         "If you did not make this change, reset your password at once."], null, null);

    public static EmailContent Invitation(string workspace, string? invitedBy, string role, string link) => Build("invitation",
        $"You are invited to {Short(workspace)} on Kiln", null,
        [$"{invitedBy ?? "A member"} invited you to join the workspace “{workspace}” on Kiln as {role}."],
        ("See the invitation", link), "The invitation works once and for 7 days. You can accept or decline it; nothing changes until you do. " + Unsubscribe);

    public static EmailContent JobFinished(string? name, string pipeline, string link) => Build("job_finished", $"Your {pipeline} job is done", name,
        [$"Your {pipeline} job finished. Its results are ready to download."], ("Open the job", link), Unsubscribe);

    public static EmailContent JobFailed(string? name, string pipeline, string? reason, string link) => Build("job_failed", $"Your {pipeline} job failed", name,
        [$"Your {pipeline} job failed{(string.IsNullOrWhiteSpace(reason) ? "." : ": " + reason)}", "The credits it held were released."],
        ("Open the job", link), Unsubscribe);

    public static EmailContent CreditsLow(string? name, string workspace, long available, string link) => Build("credits_low", $"Credits are running low in {Short(workspace)}", name,
        [$"The workspace “{workspace}” has {available} credits left."], ("Buy credits", link), Unsubscribe);

    public static EmailContent PaymentReceipt(string? name, string workspace, string what, string amount, string link) => Build("payment_receipt", "Your Kiln payment receipt", name,
        [$"Thank you. We received your payment of {amount} for {what} in the workspace “{workspace}”."], ("See your billing", link), Unsubscribe);

    public static EmailContent DataExportReady(DateTime expiresAt, string link) => Build("data_export_ready", "Your Kiln data export is ready", null,
        [$"The export of your data you asked for is ready. You can download it until {expiresAt:yyyy-MM-dd HH:mm} UTC; after that it is deleted."],
        ("Download your data", link), null);

    public static EmailContent AccountDeletionScheduled(DateTime dueAt, string link) => Build("account_deletion_scheduled", "Your Kiln account will be deleted", null,
        [$"You asked us to delete your Kiln account. It will be deleted on {dueAt:yyyy-MM-dd HH:mm} UTC, with your personal workspace and its files.",
         "If you did not ask for this, or changed your mind, cancel the deletion before then."],
        ("Cancel the deletion", link), null);

    public const string Unsubscribe = "You can switch this email off under Account settings → Notifications.";

    private static string Short(string s) => s.Length > 60 ? s[..60] + "…" : s;

    private static EmailContent Build(string kind, string subject, string? name, string[] paragraphs, (string Label, string Url)? action, string? footer)
    {
        var greeting = string.IsNullOrWhiteSpace(name) ? "Hello," : $"Hello {name},";
        var text = new StringBuilder().Append(greeting).Append("\n\n");
        foreach (var p in paragraphs) text.Append(p).Append("\n\n");
        if (action is { } a) text.Append(a.Label).Append(":\n").Append(a.Url).Append("\n\n");
        if (footer is not null) text.Append(footer).Append("\n\n");
        text.Append("— Kiln\n");

        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(subject)).Append("</title></head>")
            .Append("<body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;max-width:36rem;margin:0 auto;padding:1rem\">")
            .Append("<p>").Append(E(greeting)).Append("</p>");
        foreach (var p in paragraphs) html.Append("<p>").Append(E(p)).Append("</p>");
        if (action is { } b)
            html.Append("<p><a href=\"").Append(E(b.Url)).Append("\" style=\"display:inline-block;padding:.6rem 1rem;background:#b4461c;color:#fff;text-decoration:none;border-radius:4px\">")
                .Append(E(b.Label)).Append("</a></p><p style=\"font-size:.9em;color:#555\">Or paste this address into your browser: ").Append(E(b.Url)).Append("</p>");
        if (footer is not null) html.Append("<p style=\"font-size:.9em;color:#555\">").Append(E(footer)).Append("</p>");
        html.Append("<p>— Kiln</p></body></html>");
        return new EmailContent(kind, subject, text.ToString(), html.ToString());
    }
}

using Kiln.Core.Accounts;

namespace Kiln.Core.Audit;

/// <summary>The sign-in entries, the same from the API, the sign-in page and external providers.</summary>
public static class SignInAudit
{
    /// <param name="channel"><c>api</c> or <c>web</c>.</param>
    /// <param name="method"><c>password</c>, or the external provider's name.</param>
    public static AuditEntry Succeeded(KilnUser user, string channel, string method) =>
        new(AuditActions.SignIn, user.Id, null, user.Email, new { channel, method });

    /// <summary>
    /// A refused sign-in. The target is the address that was tried (cut to the column), so an operator sees a guessing
    /// run against one account; the actor is the account only when the address belongs to one.
    /// </summary>
    public static AuditEntry Failed(KilnUser? user, string attemptedEmail, string reason, string channel) =>
        new(AuditActions.SignInFailed, user?.Id, null, attemptedEmail.Trim(), new { reason, channel });
}

using Kiln.Core.Audit;
using Kiln.Core.Common;
using Microsoft.AspNetCore.Identity;

namespace Kiln.Core.Accounts.External;

/// <summary>
/// A person as an outside party vouches for them: an OpenID Connect / OAuth provider after a sign-in, or an external JWT
/// issuer on an API request. <paramref name="Provider"/> is Kiln's name for the source (<c>oidc:keycloak</c>,
/// <c>github</c>, <c>jwt:clerk</c>); <paramref name="Subject"/> is the source's stable id for the person.
/// </summary>
public sealed record ExternalIdentity(string Provider, string Subject, string? Email, bool EmailVerified, string? DisplayName, string ProviderDisplayName);

public static class ExternalSignInErrors
{
    public static readonly Error EmailRequired = Error.Invalid("external_email_required",
        "The provider did not share an email address, which Kiln needs the first time it sees you. Allow access to your email and try again.");
    public static readonly Error EmailNotVerified = Error.Conflict("external_email_unverified",
        "An account with this email already exists, and the provider does not confirm that the address is yours. Sign in with your password and connect the provider from your profile instead.");
    public static readonly Error Locked = Error.Forbidden("account_locked", "This account is locked by the operators of this installation.");
    public static readonly Error SignUpClosed = Error.Forbidden("signup_closed", "Sign-up is closed on this installation; ask an operator for an account first.");
}

/// <summary>
/// Finds or creates the Kiln account behind an external identity. Known (provider, subject): that account. Otherwise an
/// existing account with the same email is linked — only when the provider says the email is verified, since anyone can
/// type any address into a provider that does not check it — and failing both, a new account with its personal workspace
/// and the usual free grant. Links live in Identity's user_logins table, keyed by (provider, subject).
/// </summary>
public sealed class SignInExternalCommand(UserManager<KilnUser> users, CreateAccountCommand create, IAuditLog audit,
    Microsoft.Extensions.Options.IOptions<AccountsOptions> accounts, TimeProvider clock)
{
    public async Task<Result<KilnUser>> Run(ExternalIdentity identity, CancellationToken ct)
    {
        var known = await users.FindByLoginAsync(identity.Provider, identity.Subject);
        if (known is not null) return Usable(known);

        var email = identity.Email?.Trim();
        if (string.IsNullOrEmpty(email)) return ExternalSignInErrors.EmailRequired;
        if (TextRules.CheckEmail(email) is { } bad) return bad;
        var user = await users.FindByEmailAsync(email);
        if (user is not null)
        {
            if (!identity.EmailVerified) return ExternalSignInErrors.EmailNotVerified;
            if (Usable(user).Error is { } locked) return locked;
        }
        else
        {
            if (!accounts.Value.AllowSignUp) return ExternalSignInErrors.SignUpClosed;
            var created = await create.Run(email, null, Clean(identity.DisplayName), isAdmin: false, ct);
            if (created.Error is { Code: "email_taken" })
                user = await users.FindByEmailAsync(email); // a concurrent first request created it a moment ago
            else if (created.Error is { } e) return e;
            else
            {
                user = created.Value!;
                await audit.RecordAsync(new AuditEntry(AuditActions.AccountCreated, user.Id, user.CurrentWorkspaceId, user.Email, new { via = identity.Provider }), ct);
            }
            if (user is null) return ExternalSignInErrors.EmailRequired;
        }
        if (identity.EmailVerified && !user.EmailConfirmed)
        {
            user.EmailConfirmed = true;
            await users.UpdateAsync(user);
        }
        var linked = await users.AddLoginAsync(user, new UserLoginInfo(identity.Provider, identity.Subject, identity.ProviderDisplayName));
        if (!linked.Succeeded)
        {
            // Two first requests raced: the other one linked it. Anything else is a real failure.
            if (await users.FindByLoginAsync(identity.Provider, identity.Subject) is { } raced) return Usable(raced);
            return Error.Invalid("external_link_failed", string.Join(" ", linked.Errors.Select(x => x.Description)));
        }
        await audit.RecordAsync(new AuditEntry(AuditActions.ProviderLinked, user.Id, null, identity.Provider, new { subject = identity.Subject }), ct);
        return user;
    }

    private Result<KilnUser> Usable(KilnUser user) =>
        user.LockoutEnd is { } end && end > clock.GetUtcNow() ? ExternalSignInErrors.Locked : user;

    private static string? Clean(string? name)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name)) return null;
        if (name.Length > CreateAccountCommand.MaxDisplayName) name = name[..CreateAccountCommand.MaxDisplayName];
        return TextRules.CheckName(name, "invalid_display_name", "display name", CreateAccountCommand.MaxDisplayName) is null ? name : null;
    }
}

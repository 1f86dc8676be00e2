using Kiln.Core.Common;

namespace Kiln.Core.Accounts.Sessions;

public static class AuthErrors
{
    public static readonly Error InvalidCredentials = Error.Unauthenticated("invalid_credentials", "The email or password is wrong.");
    public static readonly Error Locked = Error.Forbidden("account_locked", "This account is locked by the operators of this installation.");
    public static readonly Error NotAUser = Error.Forbidden("forbidden", "API keys have no session to sign out of; revoke the key instead.");
}

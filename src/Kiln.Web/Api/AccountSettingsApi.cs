using Kiln.Core.Accounts.Email;
using Kiln.Core.Accounts.Profile;
using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Accounts.TwoFactor;
using Kiln.Core.RateLimits;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Web.Api;

public sealed record TokenRequest(string Token);
/// <summary>What happens next, for a request whose effect is an email.</summary>
public sealed record EmailQueuedDto(string Message);
public sealed record PasswordResetRequest(string Email);
public sealed record PasswordResetConfirmRequest(string Token, string NewPassword);
public sealed record EmailChangeRequest(string NewEmail, string CurrentPassword);
public sealed record UpdateProfileRequest(string? DisplayName);
public sealed record EmailConfirmedDto(string Email, bool Changed);
public sealed record ProfileDto(Guid UserId, string Email, string? DisplayName, bool EmailConfirmed, bool VerificationRequired, bool TwoFactorEnabled,
    int RecoveryCodesLeft, DateTime CreatedAt, IEnumerable<ConnectedProvider> ConnectedProviders)
{
    public static ProfileDto From(AccountProfile p, IEnumerable<ConnectedProvider> providers) =>
        new(p.UserId, p.Email, p.DisplayName, p.EmailConfirmed, p.VerificationRequired, p.TwoFactorEnabled, p.RecoveryCodesLeft, p.CreatedAt, providers);
}
public sealed record TwoFactorLoginRequest(string Challenge, string? Code, string? RecoveryCode);
public sealed record TwoFactorCodeRequest(string Code);
public sealed record TwoFactorDisableRequest(string CurrentPassword);
public sealed record RecoveryCodesDto(IEnumerable<string> RecoveryCodes);
public sealed record WorkspaceTwoFactorRequest(bool Required);
public sealed record WorkspaceTwoFactorDto(Guid WorkspaceId, bool Required);
/// <param name="Kind"><c>browser</c> (a sign-in cookie) or <c>api</c> (an app's refresh token).</param>
/// <param name="IpNetwork">The network it signed in from (/24 or /48), never the full address.</param>
public sealed record SessionDto(Guid Id, DateTime CreatedAt, DateTime LastUsedAt, string? UserAgent, bool Current, string Kind, string? IpNetwork);

/// <summary>
/// A password-reset request from the API or the page, limited per client IP (a refusal) and per address (past the
/// limit nothing is sent but the answer does not change, so it reveals nothing).
/// </summary>
public sealed class PasswordResetRequests(AbuseLimits limits, WindowCounter counter, RequestPasswordResetCommand request)
{
    /// <summary>Requests for one address per hour.</summary>
    public const int PerAddressPerHour = 5;

    public async Task<RateLimitDecision?> RequestAsync(HttpContext http, string? email, CancellationToken ct)
    {
        var perIp = await limits.PerMinuteAsync("password-reset", AbuseLimits.ClientKey(http), limits.Options.AuthPerMinute, ct);
        if (!perIp.Allowed) return perIp;
        email = (email ?? "").Trim();
        var key = email.Length is > 0 and <= 254 ? email.ToUpperInvariant() : "-";
        if ((await counter.HitAsync($"password-reset:{key}", PerAddressPerHour, TimeSpan.FromHours(1), ct)).Allowed)
            await request.Run(email, ct);
        return null;
    }
}

/// <summary>Emailed links (verification, password reset, email change) and the signed-in user's own settings.</summary>
public static class AccountSettingsApi
{
    public static RouteGroupBuilder MapAccountEmailAuthApi(this RouteGroupBuilder anonymous)
    {
        var auth = anonymous.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/verify-email", async Task<Results<Ok<EmailConfirmedDto>, ProblemHttpResult>> (TokenRequest r, ConfirmEmailCommand confirm, CancellationToken ct) =>
                Problems.Map(await confirm.Run(r.Token, ct), c => TypedResults.Ok(new EmailConfirmedDto(c.Email, c.Changed))))
            .LimitPerIp("verify-email", o => o.AuthPerMinute)
            .WithSummary("Redeem an emailed link: confirms the account's address (and gives the free grant that waited for it), or completes an email change. Each link works once.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        auth.MapPost("/password-reset", async Task<Results<Accepted<EmailQueuedDto>, ProblemHttpResult>> (PasswordResetRequest r, HttpContext http, PasswordResetRequests requests, CancellationToken ct) =>
            await requests.RequestAsync(http, r.Email, ct) is { } refused ? AbuseLimits.Refuse(http, refused)
                : TypedResults.Accepted((string?)null, new EmailQueuedDto("If an account uses this address, a reset link is on its way. It works once, for 1 hour."))).WithSummary("Ask for a password reset link (valid once, for 1 hour). The answer is 202 whether or not an account has this address.")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/password-reset/confirm", async Task<Results<NoContent, ProblemHttpResult>> (PasswordResetConfirmRequest r, ResetPasswordCommand reset, CancellationToken ct) =>
                Problems.Map(await reset.Run(r.Token, r.NewPassword, ct), _ => TypedResults.NoContent()))
            .LimitPerIp("password-reset-confirm", o => o.AuthPerMinute)
            .WithSummary("Set a new password with a reset link's token. Every session of the account ends; sign in with the new password.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        auth.MapPost("/login/two-factor", async Task<Results<Ok<Microsoft.AspNetCore.Authentication.BearerToken.AccessTokenResponse>, ProblemHttpResult>> (TwoFactorLoginRequest r,
            HttpContext http, AbuseLimits limits, WindowCounter counter, TwoFactorChallenges challenges, TwoFactorService twoFactor, StartSessionCommand sessions,
            BearerTokens tokens, CancellationToken ct) =>
        {
            var perIp = await limits.PerMinuteAsync("signin-2fa", AbuseLimits.ClientKey(http), limits.Options.AuthPerMinute, ct);
            if (!perIp.Allowed) return AbuseLimits.Refuse(http, perIp);
            if (await challenges.ReadAsync(r.Challenge) is not { } user) return Problems.From(TwoFactorErrors.InvalidChallenge);
            // Six digits are guessable at scale: wrong codes are limited per account, whatever the IP.
            var failures = $"signin-2fa-fail:{user.Id:N}";
            if (await counter.PeekAsync(failures, TimeSpan.FromMinutes(15), ct) >= MaxTwoFactorFailures)
                return AbuseLimits.Refuse(http, new RateLimitDecision(false, MaxTwoFactorFailures, MaxTwoFactorFailures, TimeSpan.FromMinutes(15)));
            if (!await twoFactor.VerifyAsync(user, r.Code, r.RecoveryCode, ct))
            {
                await counter.HitAsync(failures, int.MaxValue, TimeSpan.FromMinutes(15), ct);
                return Problems.From(TwoFactorErrors.WrongCode);
            }
            var session = await sessions.Run(user.Id, http.Request.Headers.UserAgent.ToString(), ct);
            return TypedResults.Ok(await tokens.IssueAsync(user, session));
        }).WithSummary("Finish a two-factor sign-in: the challenge from /api/auth/login plus a current authenticator code or an unused recovery code (spent).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);
        return anonymous;
    }

    /// <summary>Wrong second-factor codes per account per 15 minutes before further tries are refused.</summary>
    public const int MaxTwoFactorFailures = 10;

    /// <summary>The answer to a right password on a two-factor account: 401 with the challenge to send back with a code.</summary>
    public static Kiln.Core.Common.Error TwoFactorRequired(string challenge) =>
        new("two_factor_required", "Enter the code from your authenticator app (or a recovery code) to finish signing in.", Kiln.Core.Common.ErrorKind.Unauthenticated)
        {
            Extensions = new Dictionary<string, object?> { ["challenge"] = challenge },
        };

    public static RouteGroupBuilder MapAccountSettingsApi(this RouteGroupBuilder api)
    {
        var account = api.MapGroup("/account").WithTags("Account").WithMetadata(ViewerAllowed.WithoutWorkspace);

        account.MapGet("/", async Task<Results<Ok<ProfileDto>, ProblemHttpResult>> (CurrentUser user, GetProfileQuery profile, IConnectedProvidersQuery providers, CancellationToken ct) =>
        {
            if (user.UserId is not { } id) return Problems.From(AuthErrors.NotAUser);
            var connected = await providers.Run(id, ct);
            return Problems.Map(await profile.Run(id, ct), p => TypedResults.Ok(ProfileDto.From(p, connected)));
        }).WithSummary("Your profile: email (and whether it is confirmed), display name, two-factor status, connected sign-in providers.");

        account.MapPatch("/", async Task<Results<NoContent, ProblemHttpResult>> (UpdateProfileRequest r, CurrentUser user, UpdateProfileCommand update, CancellationToken ct) =>
        {
            if (user.UserId is not { } id) return Problems.From(AuthErrors.NotAUser);
            return Problems.Map(await update.Run(id, r.DisplayName, ct), _ => TypedResults.NoContent());
        }).WithSummary("Change your display name (empty removes it).").ProducesProblem(StatusCodes.Status400BadRequest);

        account.MapPost("/verification-email", async Task<Results<Accepted<EmailQueuedDto>, ProblemHttpResult>> (CurrentUser user, SendVerificationEmailCommand send, CancellationToken ct) =>
        {
            if (user.UserId is not { } id) return Problems.From(AuthErrors.NotAUser);
            return Problems.Map(await send.Run(id, ct), _ => TypedResults.Accepted((string?)null, new EmailQueuedDto("A new confirmation link is on its way; the previous one no longer works.")));
        }).LimitPerIp("verification-email", o => o.AuthPerMinute)
            .WithSummary("Send a new verification link (the previous one stops working).").ProducesProblem(StatusCodes.Status409Conflict);

        account.MapPost("/email", async Task<Results<Accepted<EmailQueuedDto>, ProblemHttpResult>> (EmailChangeRequest r, CurrentUser user, RequestEmailChangeCommand change, CancellationToken ct) =>
        {
            if (user.UserId is not { } id) return Problems.From(AuthErrors.NotAUser);
            return Problems.Map(await change.Run(id, r.NewEmail, r.CurrentPassword, ct),
                e => TypedResults.Accepted((string?)null, new EmailQueuedDto($"A confirmation link is on its way to {e}; your address changes when it is opened.")));
        }).LimitPerIp("email-change", o => o.AuthPerMinute)
            .WithSummary("Change your email address: a link goes to the new address, and the change happens when it is opened (the old address is told).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        account.MapGet("/notifications", async Task<Results<Ok<NotificationSettings>, ProblemHttpResult>> (CurrentUser user, NotificationSettingsStore store, CancellationToken ct) =>
            user.UserId is { } id ? TypedResults.Ok(await store.Get(id, ct)) : Problems.From(AuthErrors.NotAUser))
            .WithSummary("Which notification emails you receive.");
        account.MapPut("/notifications", async Task<Results<Ok<NotificationSettings>, ProblemHttpResult>> (NotificationSettings r, CurrentUser user, NotificationSettingsStore store, CancellationToken ct) =>
            user.UserId is { } id ? TypedResults.Ok(await store.Set(id, r, ct)) : Problems.From(AuthErrors.NotAUser))
            .WithSummary("Switch notification emails on or off: job finished, job failed, credits low, payment receipt, invitation.");

        account.MapGet("/sessions", async Task<Results<Ok<IEnumerable<SessionDto>>, ProblemHttpResult>> (CurrentUser user, ListSessionsQuery sessions, CancellationToken ct) =>
        {
            if (user.UserId is not { } id) return Problems.From(AuthErrors.NotAUser);
            var list = await sessions.Run(id, ct);
            return TypedResults.Ok(list.Select(s => new SessionDto(s.Id, s.CreatedAt, s.LastUsedAt, s.UserAgent, s.Id == user.SessionId, s.Kind, s.IpNetwork)));
        }).WithSummary("Your signed-in devices: browsers (sign-in cookies) and apps (live refresh tokens), most recently seen first.");
        account.MapDelete("/sessions/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, CurrentUser user, RevokeSessionCommand revoke, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(AuthErrors.NotAUser);
            return Problems.Map(await revoke.Run(userId, id, ct), _ => TypedResults.NoContent());
        }).WithSummary("Sign one device out: its refresh token and access tokens stop working at once.").ProducesProblem(StatusCodes.Status404NotFound);

        var twoFactor = account.MapGroup("/two-factor");
        twoFactor.MapPost("/setup", async Task<Results<Ok<AuthenticatorSetup>, ProblemHttpResult>> (CurrentUser user, TwoFactorService service, CancellationToken ct) =>
            user.UserId is { } id ? Problems.Map(await service.BeginSetupAsync(id, ct), s => TypedResults.Ok(s)) : Problems.From(AuthErrors.NotAUser))
            .WithSummary("Start setting up an authenticator app: the shared key, its otpauth:// URI and that URI as an SVG QR code. Nothing changes until /enable.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        twoFactor.MapPost("/enable", async Task<Results<Ok<RecoveryCodesDto>, ProblemHttpResult>> (TwoFactorCodeRequest r, CurrentUser user, TwoFactorService service, CancellationToken ct) =>
            user.UserId is { } id ? Problems.Map(await service.EnableAsync(id, r.Code, ct), c => TypedResults.Ok(new RecoveryCodesDto(c))) : Problems.From(AuthErrors.NotAUser))
            .WithSummary("Turn two-factor sign-in on with a current code from the app. The answer holds 10 single-use recovery codes, shown this once.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        twoFactor.MapPost("/disable", async Task<Results<NoContent, ProblemHttpResult>> (TwoFactorDisableRequest r, CurrentUser user, TwoFactorService service, CancellationToken ct) =>
            user.UserId is { } id ? Problems.Map(await service.DisableAsync(id, r.CurrentPassword, ct), _ => TypedResults.NoContent()) : Problems.From(AuthErrors.NotAUser))
            .WithSummary("Turn two-factor sign-in off (needs the current password); the authenticator key and recovery codes are thrown away.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        twoFactor.MapPost("/recovery-codes", async Task<Results<Ok<RecoveryCodesDto>, ProblemHttpResult>> (TwoFactorCodeRequest r, CurrentUser user, TwoFactorService service, CancellationToken ct) =>
            user.UserId is { } id ? Problems.Map(await service.RegenerateRecoveryCodesAsync(id, r.Code, ct), c => TypedResults.Ok(new RecoveryCodesDto(c))) : Problems.From(AuthErrors.NotAUser))
            .WithSummary("Replace the recovery codes (needs a current authenticator code); the old ones stop working.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPut("/workspace/two-factor", async Task<Results<Ok<WorkspaceTwoFactorDto>, ProblemHttpResult>> (WorkspaceTwoFactorRequest r, CurrentUser user, SetWorkspaceTwoFactorCommand set, CancellationToken ct) =>
                Problems.Map(await set.Run(user.Caller, r.Required, ct), w => TypedResults.Ok(new WorkspaceTwoFactorDto(w.Id, w.RequireTwoFactor))))
            .WithTags("Workspace")
            .WithSummary("Require two-factor sign-in of every member (owners only, with it on for themselves). Members without it are refused with two_factor_enrollment_required until they turn it on.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }
}

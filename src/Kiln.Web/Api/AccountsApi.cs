using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Audit;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Authentication.BearerToken;
using SignInResult = Microsoft.AspNetCore.Identity.SignInResult;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Api;

public sealed record RegisterRequest(string Email, string Password, string? DisplayName);
public sealed record LoginRequest(string Email, string Password);
public sealed record RefreshRequest(string RefreshToken);
public sealed record CreateApiKeyRequest(string Name);
public sealed record ChangePasswordRequest(string CurrentPassword, string NewPassword);
public sealed record ApiKeyDto(Guid Id, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt, string? Key = null)
{
    public static ApiKeyDto From(ApiKey k, string? secret = null) => new(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt, secret);
}
public sealed record AccountCreatedDto(Guid Id, string? Email);
public sealed record MeWorkspaceDto(Guid Id, string Name, string Role);
public sealed record MeDto(Guid? UserId, Guid? WorkspaceId, string? Role, bool IsAdmin, bool IsApiKey, IEnumerable<MeWorkspaceDto> Workspaces);

/// <summary>Sign-up and Identity bearer tokens (with refresh) for first-party clients; workspace API keys.</summary>
public static class AccountsApi
{
    public static RouteGroupBuilder MapAuthApi(this RouteGroupBuilder anonymous)
    {
        var auth = anonymous.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/register", async Task<Results<Created<AccountCreatedDto>, ProblemHttpResult>> (RegisterRequest r, HttpContext http, AbuseLimits limits,
            CreateAccountCommand create, IOptions<AccountsOptions> o, CancellationToken ct) =>
        {
            if (!o.Value.AllowSignUp) return Problems.From(new Error("signup_closed", "Sign-up is closed on this installation.", ErrorKind.Forbidden));
            if (await limits.SignUpAsync(http, ct) is { } refused) return AbuseLimits.Refuse(http, refused);
            var result = await create.Run(r.Email ?? "", r.Password ?? "", r.DisplayName, isAdmin: false, ct);
            return Problems.Map(result, u => TypedResults.Created("/api/me", new AccountCreatedDto(u.Id, u.Email)));
        }).WithSummary("Create an account with a personal workspace and the free credit grant. Limited per client IP per minute and per hour.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/login", async Task<Results<Ok<AccessTokenResponse>, ProblemHttpResult>> (LoginRequest r, HttpContext http, AbuseLimits limits,
            SignInManager<KilnUser> signIn, StartSessionCommand sessions, BearerTokens tokens, IAuditLog audit, Core.Accounts.TwoFactor.TwoFactorChallenges challenges, CancellationToken ct) =>
        {
            var email = (r.Email ?? "").Trim();
            if (await limits.BeforeSignInAsync(http, email, ct) is { } refused) return AbuseLimits.Refuse(http, refused);
            var user = email.Length is 0 or > CreateAccountCommand.MaxEmail ? null : await signIn.UserManager.FindByEmailAsync(email);
            var result = user is null ? SignInResult.Failed : await signIn.CheckPasswordSignInAsync(user, r.Password ?? "", lockoutOnFailure: false);
            if (result.IsLockedOut)
            {
                await audit.RecordAsync(SignInAudit.Failed(user, email, "locked", "api"), ct);
                return Problems.From(AuthErrors.Locked);
            }
            if (!result.Succeeded)
            {
                await limits.SignInFailedAsync(http, email, ct);
                await audit.RecordAsync(SignInAudit.Failed(user, email, user is null ? "unknown_email" : "wrong_password", "api"), ct);
                return Problems.From(AuthErrors.InvalidCredentials);
            }
            // Two-factor accounts get a short-lived challenge instead of tokens: POST it with a code to /api/auth/login/two-factor.
            if (user!.TwoFactorEnabled) return Problems.From(AccountSettingsApi.TwoFactorRequired(challenges.Issue(user)));
            var session = await sessions.Run(user.Id, http.Request.Headers.UserAgent.ToString(), ct);
            await audit.RecordAsync(SignInAudit.Succeeded(user, "api", "password"), ct);
            return TypedResults.Ok(await tokens.IssueAsync(user, session));
        }).WithSummary("Exchange email and password for a bearer access token and a refresh token (a new session). "
            + "With two-factor sign-in on, the answer is 401 two_factor_required with a 5-minute `challenge` for /api/auth/login/two-factor. "
            + "Wrong passwords are limited per account and IP and slow down further attempts; an account is never locked by them.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/refresh", async Task<Results<Ok<AccessTokenResponse>, ProblemHttpResult>> (RefreshRequest r, HttpContext http, AbuseLimits limits,
            RefreshSessionCommand refresh, UserManager<KilnUser> users, BearerTokens tokens, CancellationToken ct) =>
        {
            var allowed = await limits.PerMinuteAsync("refresh", AbuseLimits.ClientKey(http), limits.Options.AuthPerMinute, ct);
            if (!allowed.Allowed) return AbuseLimits.Refuse(http, allowed);
            var next = await refresh.Run(r.RefreshToken, ct);
            if (next.Error is { } e) return Problems.From(e);
            if (await users.FindByIdAsync(next.Value!.UserId.ToString()) is not { } user) return Problems.From(SessionErrors.Invalid);
            return TypedResults.Ok(await tokens.IssueAsync(user, next.Value));
        }).WithSummary("Exchange a refresh token for a new access token and a new refresh token (rotation). A refresh token works once: "
            + "presenting it again signs its session out everywhere (401 refresh_token_reused).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);

        // Signing out needs a caller but no workspace (a user removed from every workspace may still sign out).
        var signedIn = auth.MapGroup("/").RequireAuthorization().AddEndpointFilter<CookieAntiforgeryFilter>()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        signedIn.MapPost("/logout", async Task<Results<NoContent, ProblemHttpResult>> (HttpContext http, CurrentUser user, SessionRevocations revoke, SignInManager<KilnUser> signIn, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(AuthErrors.NotAUser);
            if (user.SessionId is { } session) await revoke.RevokeSessionAsync(userId, session, "logout", ct);
            if (!http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal)) await signIn.SignOutAsync();
            return TypedResults.NoContent();
        }).WithSummary("Sign out: the caller's session ends at once — a bearer caller's refresh token and access tokens, a cookie caller's cookie.");
        signedIn.MapPost("/logout-all", async Task<Results<NoContent, ProblemHttpResult>> (CurrentUser user, SessionRevocations revoke, SignInManager<KilnUser> signIn, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(AuthErrors.NotAUser);
            await revoke.RevokeAllAsync(userId, "logout_all", ct);
            await signIn.SignOutAsync();
            return TypedResults.NoContent();
        }).WithSummary("Sign out everywhere: every session, refresh token, access token and cookie of the account stops working at once.");
        return anonymous;
    }

    public static RouteGroupBuilder MapAccountsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", async (CurrentUser user, SignedInUserQuery memberships, CancellationToken ct) =>
        {
            var all = user.UserId is { } id ? await memberships.All(id, ct) : [];
            return TypedResults.Ok(new MeDto(user.UserId, user.Workspace, user.Role?.WireName(), user.IsAdmin, user.IsApiKey,
                all.Select(m => new MeWorkspaceDto(m.WorkspaceId, m.Name, m.Role.WireName()))));
        }).WithTags("Account").WithSummary("The caller, the workspace it acts in and its role.");

        api.MapPost("/account/password", async Task<Results<NoContent, ProblemHttpResult>> (ChangePasswordRequest r, CurrentUser user, ChangePasswordCommand change, CancellationToken ct) =>
        {
            if (user.UserId is not { } userId) return Problems.From(AuthErrors.NotAUser);
            return Problems.Map(await change.Run(userId, r.CurrentPassword ?? "", r.NewPassword ?? "", ct), _ => TypedResults.NoContent());
        }).WithTags("Account").WithMetadata(ViewerAllowed.Instance)
            .WithSummary("Change your password. Every session of the account ends (this one too): sign in again with the new password.")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapGet("/", async (CurrentUser user, ListApiKeysQuery q, CancellationToken ct) =>
            TypedResults.Ok((await q.Run(user.Workspace, ct)).Select(k => ApiKeyDto.From(k)))).WithSummary("List the workspace's API keys (never the secrets).");
        keys.MapPost("/", async (CreateApiKeyRequest r, CurrentUser user, CreateApiKeyCommand create, CancellationToken ct) =>
                Problems.Map(await create.Run(user.Caller, r.Name ?? "", ct), k => TypedResults.Created($"/api/api-keys/{k.Key.Id}", ApiKeyDto.From(k.Key, k.Secret))))
            .WithSummary("Create an API key (owners and admins). The key is in the response once and never again.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        keys.MapDelete("/{id:guid}", async (Guid id, CurrentUser user, RevokeApiKeyCommand revoke, CancellationToken ct) =>
                Problems.Map(await revoke.Run(user.Caller, id, ct), k => TypedResults.Ok(ApiKeyDto.From(k))))
            .WithSummary("Revoke an API key (owners and admins); it stops working at once.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }
}

using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Api;

public sealed record RegisterRequest(string Email, string Password, string? DisplayName);
public sealed record LoginRequest(string Email, string Password);
public sealed record RefreshRequest(string RefreshToken);
public sealed record CreateApiKeyRequest(string Name);
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
        auth.MapPost("/register", async Task<Results<Created<AccountCreatedDto>, ProblemHttpResult>> (RegisterRequest r, CreateAccountCommand create, IOptions<AccountsOptions> o, CancellationToken ct) =>
        {
            if (!o.Value.AllowSignUp) return Problems.From(new Error("signup_closed", "Sign-up is closed on this installation.", ErrorKind.Forbidden));
            if (string.IsNullOrWhiteSpace(r.Email) || !r.Email.Contains('@')) return Problems.From(Error.Invalid("invalid_email", "Enter a valid email address."));
            var result = await create.Run(r.Email, r.Password ?? "", r.DisplayName, isAdmin: false, ct);
            return Problems.Map(result, u => TypedResults.Created("/api/me", new AccountCreatedDto(u.Id, u.Email)));
        }).WithSummary("Create an account with a personal workspace and the free credit grant.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);

        auth.MapPost("/login", async Task<Results<EmptyHttpResult, ProblemHttpResult>> (LoginRequest r, SignInManager<KilnUser> signIn) =>
        {
            signIn.AuthenticationScheme = IdentityConstants.BearerScheme;
            var result = await signIn.PasswordSignInAsync(r.Email ?? "", r.Password ?? "", isPersistent: false, lockoutOnFailure: true);
            if (result.IsLockedOut) return Problems.From(new Error("locked_out", "Too many failed attempts; try again in a few minutes.", ErrorKind.TooManyRequests));
            if (!result.Succeeded) return Problems.From(new Error("invalid_credentials", "The email or password is wrong.", ErrorKind.Unauthenticated));
            return TypedResults.Empty; // the bearer handler has written the token response
        }).WithSummary("Exchange email and password for a bearer access token and a refresh token.")
            .Produces<AccessTokenResponse>() // written by the bearer handler, so the typed result cannot say it
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status429TooManyRequests);

        auth.MapPost("/refresh", async Task<Results<SignInHttpResult, ProblemHttpResult>> (RefreshRequest r, SignInManager<KilnUser> signIn, IOptionsMonitor<BearerTokenOptions> bearer, TimeProvider clock) =>
        {
            var ticket = bearer.Get(IdentityConstants.BearerScheme).RefreshTokenProtector.Unprotect(r.RefreshToken);
            if (ticket?.Properties.ExpiresUtc is not { } expires || clock.GetUtcNow() >= expires
                || await signIn.ValidateSecurityStampAsync(ticket.Principal) is not { } user)
                return Problems.From(new Error("invalid_refresh_token", "The refresh token is invalid or expired; sign in again.", ErrorKind.Unauthenticated));
            return TypedResults.SignIn(await signIn.CreateUserPrincipalAsync(user), authenticationScheme: IdentityConstants.BearerScheme);
        }).WithSummary("Exchange a refresh token for a new access token.")
            .Produces<AccessTokenResponse>() // written by the bearer sign-in handler
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized);
        return anonymous;
    }

    public static RouteGroupBuilder MapAccountsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", async (CurrentUser user, GetMembershipQuery memberships, CancellationToken ct) =>
        {
            var all = user.UserId is { } id ? await memberships.All(id, ct) : [];
            return TypedResults.Ok(new MeDto(user.UserId, user.Workspace, user.Role?.WireName(), user.IsAdmin, user.IsApiKey,
                all.Select(m => new MeWorkspaceDto(m.Workspace.Id, m.Workspace.Name, m.Role.WireName()))));
        }).WithTags("Account").WithSummary("The caller, the workspace it acts in and its role.");

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

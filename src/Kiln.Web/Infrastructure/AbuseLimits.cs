using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kiln.Core.Common;
using Kiln.Core.RateLimits;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// The limits on endpoints an attacker reaches cheaply (sign-in, sign-up, refresh, uploads, job management, signed
/// blobs, provider webhooks), counted in the database so they hold across web processes. Sign-in never locks an
/// account: wrong passwords are limited per (account, IP) — a second IP, like the owner's, is unaffected — and past
/// a threshold every attempt on the account is slowed, never refused.
/// </summary>
public sealed class AbuseLimits(WindowCounter counter, IOptionsMonitor<RateLimitOptions> options)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(15);

    public RateLimitOptions Options => options.CurrentValue;

    /// <summary>The client address a limit is keyed on: the IPv4 address, or the /64 of an IPv6 one (one subscriber's prefix).</summary>
    public static string ClientKey(HttpContext http)
    {
        var ip = http.Connection.RemoteIpAddress;
        if (ip is null) return "none";
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = ip.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }
        return ip.ToString();
    }

    public Task<RateLimitDecision> PerMinuteAsync(string name, string key, int limit, CancellationToken ct) =>
        counter.HitAsync($"{name}:{key}", limit, Minute, ct);

    public async Task<RateLimitDecision?> SignUpAsync(HttpContext http, CancellationToken ct)
    {
        var ip = ClientKey(http);
        var minute = await PerMinuteAsync("signup", ip, Options.AuthPerMinute, ct);
        if (!minute.Allowed) return minute;
        var hour = await counter.HitAsync($"signup-hour:{ip}", Options.SignUpsPerIpPerHour, Hour, ct);
        return hour.Allowed ? null : hour;
    }

    /// <summary>Before checking a password: null to go on (after any slowdown), or the refusal.</summary>
    public async Task<RateLimitDecision?> BeforeSignInAsync(HttpContext http, string email, CancellationToken ct)
    {
        var ip = ClientKey(http);
        var perIp = await PerMinuteAsync("signin", ip, Options.AuthPerMinute, ct);
        if (!perIp.Allowed) return perIp;
        var account = Normalize(email);
        var pairFailures = await counter.PeekAsync($"signin-fail:{account}:{ip}", FailureWindow, ct);
        if (pairFailures >= Options.SignInFailuresPerAccountAndIp)
            return new RateLimitDecision(false, pairFailures, Options.SignInFailuresPerAccountAndIp, FailureWindow);
        var accountFailures = await counter.PeekAsync($"signin-fail:{account}", FailureWindow, ct);
        var over = accountFailures - Options.SignInFailuresBeforeSlowdown;
        if (over >= 0)
        {
            var delay = TimeSpan.FromSeconds(Math.Min(Options.SignInSlowdownMaxSeconds, 0.5 * (over + 1)));
            http.Response.Headers["X-Kiln-Slowed"] = delay.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            await Task.Delay(delay, ct);
        }
        return null;
    }

    public async Task SignInFailedAsync(HttpContext http, string email, CancellationToken ct)
    {
        var account = Normalize(email);
        await counter.HitAsync($"signin-fail:{account}:{ClientKey(http)}", int.MaxValue, FailureWindow, ct);
        await counter.HitAsync($"signin-fail:{account}", int.MaxValue, FailureWindow, ct);
    }

    private static string Normalize(string email)
    {
        var e = email.Trim().ToUpperInvariant();
        return e.Length > 120 ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(e))) : e;
    }

    public static readonly Error Limited = Error.TooManyRequests("rate_limited", "Too many requests; slow down and retry after the Retry-After delay.");

    /// <summary>The 429 problem with its <c>Retry-After</c> header.</summary>
    public static ProblemHttpResult Refuse(HttpContext http, RateLimitDecision decision)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.From(Limited);
    }
}

/// <summary>Endpoint filters that apply a database-counted per-minute limit keyed on the client IP or the workspace.</summary>
public static class AbuseLimitFilters
{
    public static TBuilder LimitPerIp<TBuilder>(this TBuilder builder, string name, Func<RateLimitOptions, int> limit) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var limits = ctx.HttpContext.RequestServices.GetRequiredService<AbuseLimits>();
            var d = await limits.PerMinuteAsync(name, AbuseLimits.ClientKey(ctx.HttpContext), limit(limits.Options), ctx.HttpContext.RequestAborted);
            return d.Allowed ? await next(ctx) : AbuseLimits.Refuse(ctx.HttpContext, d);
        }).WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));

    /// <summary>Per workspace (the account that pays), falling back to the IP for a caller without one.</summary>
    public static TBuilder LimitPerWorkspace<TBuilder>(this TBuilder builder, string name, Func<RateLimitOptions, int> limit) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            var limits = http.RequestServices.GetRequiredService<AbuseLimits>();
            var who = http.RequestServices.GetRequiredService<CurrentUser>().WorkspaceId?.ToString("N") ?? AbuseLimits.ClientKey(http);
            var d = await limits.PerMinuteAsync(name, who, limit(limits.Options), http.RequestAborted);
            return d.Allowed ? await next(ctx) : AbuseLimits.Refuse(http, d);
        }).WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// An outside JWT issuer (Clerk, Supabase, Auth0 …) on a free local port: it publishes its public keys as a JWKS at
/// <c>/jwks</c> and mints tokens. Keys can be rotated by swapping the published set.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    public const string Audience = "kiln-api";
    private readonly WebApplication _app;
    private volatile SecurityKey[] _published;

    public string Issuer { get; }
    public string JwksUrl => Issuer + "/jwks";
    public RsaSecurityKey Rsa1 { get; } = NewRsa("rsa-1");
    public RsaSecurityKey Rsa2 { get; } = NewRsa("rsa-2");
    public ECDsaSecurityKey Ec { get; } = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec-1" };

    private TestIssuer(WebApplication app, string issuer)
    {
        _app = app;
        Issuer = issuer;
        _published = [Rsa1, Ec];
    }

    public static async Task<TestIssuer> StartAsync()
    {
        var port = PostgresServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var issuer = new TestIssuer(app, $"http://127.0.0.1:{port}");
        app.MapGet("/jwks", () =>
        {
            var keys = issuer._published.Select(Public).ToArray();
            return Results.Text(JsonSerializer.Serialize(new { keys }), "application/json");
        });
        await app.StartAsync();
        return issuer;
    }

    /// <summary>Publishes exactly these keys from now on (a key rotation).</summary>
    public void Publish(params SecurityKey[] keys) => _published = keys;

    public string Token(string subject, string? email = null, bool? emailVerified = null, SecurityKey? key = null, string? algorithm = null,
        string? issuer = null, string? audience = null, DateTime? notBefore = null, DateTime? expires = null)
    {
        key ??= Rsa1;
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (email is not null) claims["email"] = email;
        if (emailVerified is { } v) claims["email_verified"] = v;
        var now = DateTime.UtcNow;
        var nbf = notBefore ?? now.AddMinutes(-1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            Claims = claims,
            NotBefore = nbf,
            IssuedAt = nbf,
            Expires = expires ?? now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(key, algorithm ?? (key is ECDsaSecurityKey ? SecurityAlgorithms.EcdsaSha256 : SecurityAlgorithms.RsaSha256)),
        });
    }

    /// <summary>A token claiming <c>alg: none</c>, with no signature.</summary>
    public string UnsignedToken(string subject)
    {
        static string B64(object o) => Base64UrlEncoder.Encode(JsonSerializer.Serialize(o));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return B64(new { alg = "none", typ = "JWT" }) + "." + B64(new { sub = subject, iss = Issuer, aud = Audience, nbf = now - 60, exp = now + 600 }) + ".";
    }

    /// <summary>The classic key-confusion attack: HS256 with the issuer's public RSA key as the HMAC secret.</summary>
    public string PublicKeyAsHmacSecretToken(string subject)
    {
        var pem = Encoding.UTF8.GetBytes(Rsa1.Rsa.ExportSubjectPublicKeyInfoPem());
        return Token(subject, key: new SymmetricSecurityKey(pem) { KeyId = Rsa1.KeyId }, algorithm: SecurityAlgorithms.HmacSha256);
    }

    public static RsaSecurityKey NewRsa(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    /// <summary>The public half of a key as a JWK (what an issuer publishes).</summary>
    private static Dictionary<string, string> Public(SecurityKey key)
    {
        switch (key)
        {
            case RsaSecurityKey rsa:
                var p = rsa.Rsa.ExportParameters(false);
                return new() { ["kty"] = "RSA", ["use"] = "sig", ["kid"] = rsa.KeyId, ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
            case ECDsaSecurityKey ec:
                var q = ec.ECDsa.ExportParameters(false).Q;
                return new() { ["kty"] = "EC", ["use"] = "sig", ["kid"] = ec.KeyId, ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(q.X), ["y"] = Base64UrlEncoder.Encode(q.Y) };
            default: throw new NotSupportedException(key.GetType().Name);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
